import ArgumentParser
import ConversionEngine
import Dispatch
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import TikTokOffline

/// `tiktok-offline run`: NDJSON events → pipeline → outbox → TikTok.
struct RunCommand: AsyncParsableCommand {
    static let defaultOutboxPath = "outbox.sqlite"

    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Map events and deliver them to TikTok through a durable outbox.",
        discussion: """
            Reads NDJSON events (stdin by default), runs the pipeline, stores every accepted event in \
            the outbox and delivers it to TikTok, retrying rate limits and server errors. Events \
            TikTok refuses are kept as dead letters (see `dead-letters`). Events left in the outbox \
            by an earlier run are sent first, with the same event_id. Ctrl-C stops reading and \
            drains the outbox; a second Ctrl-C stops at once, keeping what is unsent for next time.
            """
    )

    @OptionGroup var credentials: CredentialOptions

    @Option(help: "NDJSON input file (default: stdin).")
    var input: String?

    @Option(help: "Events API base URL; e.g. http://127.0.0.1:8787 for mock-tiktok.")
    var endpoint: String = TikTokEndpoint.production.baseURL

    @Option(help: "The outbox file (SQLite), created if missing.")
    var outbox: String = defaultOutboxPath

    @Option(help: "Most events per request (TikTok accepts up to 1,000).")
    var batchSize: Int = 1_000

    @Option(help: "Most bytes of events per request.")
    var batchBytes: Int = 4 << 20

    @Option(help: "Requests in flight at once.")
    var concurrency: Int = 4

    @Option(help: "Attempts per request before giving up (the events stay in the outbox).")
    var maxAttempts: Int = 8

    @Option(help: "Seconds to wait for one request.")
    var timeout: Int = 30

    @Option(help: "Serve metrics in Prometheus text format on this port (GET /metrics).")
    var metricsPort: Int?

    @Flag(help: "Print the final summary as one JSON line.")
    var jsonSummary = false

    func validate() throws {
        guard (1...1_000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 1000") }
        guard batchBytes > 0, concurrency > 0, maxAttempts > 0, timeout > 0 else {
            throw ValidationError("--batch-bytes, --concurrency, --max-attempts and --timeout must be positive")
        }
    }

    func run() async throws {
        throw ValidationError("run needs the engine; not wired yet")
    }
}

// MARK: - Signals

/// SIGINT and SIGTERM as an async stream, replacing the default "terminate at once".
enum TerminationSignals {
    /// Each signal received from now on; the default handlers are disabled.
    static func stream() -> AsyncStream<Int32> {
        AsyncStream { continuation in
            nonisolated(unsafe) let sources = [SIGINT, SIGTERM].map { number in
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { continuation.yield(number) }
                source.resume()
                return source
            }
            continuation.onTermination = { _ in sources.forEach { $0.cancel() } }
        }
    }

    /// Returns at the first SIGINT or SIGTERM.
    static func wait() async {
        for await _ in stream() { return }
    }
}

// MARK: - Metrics

/// Bootstraps swift-metrics with Prometheus and serves `GET /metrics` on loopback.
enum MetricsEndpoint {
    static func start(port: Int, logger: Logger) async throws -> Task<Void, any Error> {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let router = Router()
        router.get("/metrics") { _, _ in
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer))
            )
        }
        var quiet = logger
        quiet.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: quiet)
        return Task { try await app.runService(gracefulShutdownSignals: []) }
    }
}
