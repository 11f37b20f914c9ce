import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus

/// Bootstraps swift-metrics with Prometheus and serves `GET /metrics` on loopback.
enum MetricsEndpoint {
    /// Makes swift-metrics report to a new Prometheus registry, and returns it.
    static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }

    /// Starts serving; prints the URL on stderr (useful with port 0).
    static func start(port: Int, logger: Logger) async throws -> Task<Void, any Error> {
        let registry = bootstrap()
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
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "tiktok-offline-metrics"),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? port)
                continuation.finish()
            },
            logger: quiet
        )
        let task = Task {
            defer { continuation.finish() }
            try await app.runService(gracefulShutdownSignals: [])
        }
        for await bound in ports {
            FileHandle.standardError.write(Data("metrics on http://127.0.0.1:\(bound)/metrics\n".utf8))
            return task
        }
        _ = try await task.value
        throw CommandError("the metrics server did not start on port \(port)")
    }
}
