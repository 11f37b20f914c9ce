import ArgumentParser
import AsyncHTTPClient
import ConversionEngine
import Dispatch
import Foundation
import Hummingbird
import Logging
import MappingKit
import Metrics
import Prometheus
import Synchronization
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
            by an earlier run are sent too, with the same event_id. Ctrl-C (or SIGTERM) stops \
            reading and drains the outbox; a second one stops at once, keeping what is unsent for \
            the next run. Exit status: 0 all delivered, 1 configuration error, 3 TikTok refused \
            the credentials or the settings, 4 TikTok unavailable (events kept in the outbox), 5 interrupted, \
            6 another process is delivering from the outbox (nothing was read), 7 the outbox file is \
            damaged (see `outbox recover`), 8 the outbox cannot be written (full disk, permissions).
            """
    )

    @OptionGroup var mappings: MappingOptions
    @OptionGroup var settings: SettingsOptions

    @Option(help: "NDJSON input file (default: stdin).")
    var input: String?

    @OptionGroup var delivery: DeliveryOptions

    @Option(help: "The outbox file (SQLite), created if missing.")
    var outbox: String = defaultOutboxPath

    @Option(help: "Write every refused line and record as NDJSON to this file.")
    var rejects: String?

    @Option(help: "Serve metrics in Prometheus text format at http://127.0.0.1:PORT/metrics (0 picks a port).")
    var metricsPort: Int?

    @Flag(help: "Print the final summary as one JSON line on stdout.")
    var jsonSummary = false

    @Flag(help: "Faster commits that survive a crash of the process but not a power cut.")
    var relaxedDurability = false

    func run() async throws {
        let logger = Logger(label: "tiktok-offline.run")
        var metricsServer: Task<Void, any Error>?
        if let metricsPort { metricsServer = try await MetricsEndpoint.start(port: metricsPort, logger: logger) }
        defer { metricsServer?.cancel() }

        let settings = try settings.resolve(requireAccessToken: true)
        let route = try TikTokRoute(settings: settings)
        let outbox = try OutboxStatus.open(self.outbox, configuration: .init(synchronousCommits: !relaxedDurability))
        let sink = OutboxSink(outbox: outbox, route: route)
        let engine = try mappings.engine(settings: settings, sink: sink)
        let ingest = Ingest(engine: engine)

        let httpClient = delivery.makeHTTPClient()
        do {
            try await ingestAndDeliver(outbox: outbox, route: route, ingest: ingest, sink: sink, httpClient: httpClient)
            try await httpClient.shutdown()
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
    }

    /// Reads the input into the outbox while delivering from it, then prints the summary.
    private func ingestAndDeliver(outbox: Outbox, route: TikTokRoute, ingest: Ingest, sink: OutboxSink, httpClient: HTTPClient) async throws {
        let deliverer = delivery.deliverer(outbox: outbox, route: route, httpClient: httpClient)
        let start = ContinuousClock.now
        // Before any input is read: a run that may not deliver reads nothing.
        do {
            try deliverer.takeDeliveryLock()
        } catch {
            let pending = try await OutboxStatus.pending(in: outbox, for: route)
            var report = DeliveryReport()
            report.failure = error
            try finish(RunSummary(
                totals: .init(), enqueued: .init(inserted: 0, duplicates: 0), report: report, pendingBefore: pending,
                pendingAfter: pending, deadLettersTotal: (try? await outbox.counts().deadLetters) ?? 0,
                seconds: (ContinuousClock.now - start).inSeconds, interrupted: false), reasons: [:], outbox: outbox)
            return
        }
        let pendingBefore = try await OutboxStatus.pending(in: outbox, for: route)

        let input = try InputFile(path: self.input)
        defer { input.close() }
        let rejectsFile = try rejects.map { try RejectsFile(path: $0) }
        defer { rejectsFile?.close() }
        var reasons: [String: Int] = [:]

        let interrupted = InterruptFlag()
        let signals = Task {
            var count = 0
            for await _ in TerminationSignals.stream() {
                count += 1
                interrupted.set()
                if count == 1 {
                    FileHandle.standardError.write(Data("\nStopping: no more input is read; sending what is accepted (interrupt again to stop now).\n".utf8))
                    ingest.stop()
                } else {
                    deliverer.stop()
                }
            }
        }
        defer { signals.cancel() }
        let progress = ProgressDisplay(start: start) {
            (ingest.totals, deliverer.progress)
        }
        let progressTask = Task { await progress.run() }

        async let delivered = deliverer.run()
        let totals: Ingest.Totals
        do {
            var source = NDJSONSource(fileDescriptor: input.descriptor)
            // Four batches at once keep the cores busy while earlier ones wait for their commit.
            totals = try await ingest.run(&source, batchSize: self.delivery.batchSize, parallelBatches: 4) { ingested in
                for rejection in ingested.rejections {
                    reasons[rejection.reason, default: 0] += 1
                    rejectsFile?.write(rejection)
                }
            }
        } catch {
            deliverer.stop()
            _ = await delivered
            progressTask.cancel()
            if let damage = outbox.damageFound { throw OutboxStatus.exit(for: damage) }
            if let error = error as? OutboxError { throw OutboxStatus.exit(for: error) }
            throw CommandError("reading events stopped: \(error)")
        }
        deliverer.finishInput()
        let report = await delivered
        progressTask.cancel()
        await progress.finish()

        let counts = try? await outbox.counts()
        try finish(RunSummary(
            totals: totals, enqueued: sink.enqueued, report: report, pendingBefore: pendingBefore,
            pendingAfter: try? await OutboxStatus.pending(in: outbox, for: route), deadLettersTotal: counts?.deadLetters ?? 0,
            seconds: (ContinuousClock.now - start).inSeconds,
            interrupted: interrupted.isSet
        ), reasons: reasons, outbox: outbox)
    }

    /// Prints the summary and the reason delivery stopped, and exits with the matching status.
    private func finish(_ summary: RunSummary, reasons: [String: Int], outbox: Outbox) throws {
        if jsonSummary {
            print(summary.json.serialized())
        } else {
            print(summary.text(topReasons: reasons, outbox: self.outbox))
        }
        if let damage = outbox.damageFound { throw OutboxStatus.exit(for: damage) }
        if let failure = summary.report.failure {
            FileHandle.standardError.write(Data("error: \(summary.explain(failure, outbox: self.outbox))\n".utf8))
            throw ExitCode(RunExitStatus(failure).rawValue)
        }
        if summary.interrupted { throw ExitCode(RunExitStatus.interrupted.rawValue) }
    }
}

/// `run`'s exit statuses (documented in docs/delivery.md; other tools rely on them).
enum RunExitStatus: Int32 {
    case delivered = 0
    case configuration = 1
    case refusedCredentials = 3
    case unavailable = 4
    case interrupted = 5
    /// Another process is delivering from the outbox: nothing was read.
    case outboxBusy = 6
    /// The outbox file is damaged: nothing more is accepted or sent; see `outbox recover`.
    case outboxDamaged = 7
    /// The outbox cannot be written (full disk, permissions, I/O error).
    case outboxFailed = 8

    init(_ failure: DeliveryFailure) {
        switch failure {
        case .unauthorized, .misconfigured: self = .refusedCredentials
        case .unavailable: self = .unavailable
        case .busy, .alreadyRunning: self = .outboxBusy
        case .outbox: self = .outboxFailed
        }
    }
}

// MARK: - Summary

/// The figures of one run, and how they add up.
struct RunSummary {
    var totals: Ingest.Totals
    var enqueued: EnqueueResult
    var report: DeliveryReport
    var pendingBefore: Int
    /// Nil when the outbox could not be read at the end (damaged).
    var pendingAfter: Int?
    var deadLettersTotal: Int
    var seconds: Double
    var interrupted: Bool

    var json: JSON {
        [
            "received": .int(totals.received), "bad_lines": .int(totals.badLines), "records": .int(totals.records),
            "accepted": .int(totals.accepted), "rejected": .int(totals.rejected), "skipped": .int(totals.skipped),
            "queued": .int(enqueued.inserted), "duplicates": .int(enqueued.duplicates),
            "pending_before": .int(pendingBefore), "sent": .int(report.sent), "retried": .int(report.retried),
            "added_elsewhere": addedElsewhere.map(JSON.int) ?? .null,
            "dead_lettered": .int(report.deadLettered), "dead_letters_total": .int(deadLettersTotal),
            "pending": pendingAfter.map(JSON.int) ?? .null, "requests": .int(report.requests),
            "seconds": .double((seconds * 1000).rounded() / 1000),
            "events_per_second": .int(seconds > 0 ? Int(Double(report.sent) / seconds) : 0),
            "failure": report.failure.map { .string($0.description) } ?? .null,
            "interrupted": .bool(interrupted),
        ]
    }

    /// Events that other processes stored (or replayed) while this run delivered: what makes
    /// `pending before + queued + added elsewhere = sent + dead-lettered + pending` hold.
    var addedElsewhere: Int? {
        pendingAfter.map { report.sent + report.deadLettered + $0 - pendingBefore - enqueued.inserted }
    }

    func text(topReasons reasons: [String: Int], outbox: String) -> String {
        var lines = [
            "received       \(totals.received) events (\(totals.badLines) unreadable lines)",
            "records        \(totals.records) (one per event and fired mapping)",
            "  accepted     \(totals.accepted) stored in the outbox (\(enqueued.duplicates) were already there)",
            "  rejected     \(totals.rejected) refused by the pipeline",
            "  skipped      \(totals.skipped)",
            "sent           \(report.sent) confirmed by TikTok (\(pendingBefore) were pending from an earlier run\(addedElsewhere.map { $0 != 0 ? ", \($0) were stored by other processes meanwhile" : "" } ?? ""))",
            "retried        \(report.retried) event sends repeated after rate limits or errors",
            "dead-lettered  \(report.deadLettered) refused by TikTok (\(deadLettersTotal) in the outbox: `tiktok-offline dead-letters list --outbox \(outbox)`)",
            "pending        \(pendingAfter.map(String.init) ?? "unknown") still in the outbox",
            String(format: "time           %.1f s, %.0f events/s sent", seconds, seconds > 0 ? Double(report.sent) / seconds : 0),
        ]
        let top = reasons.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.prefix(5)
        if !top.isEmpty {
            lines.append("most common rejection reasons:")
            lines += top.map { "  \($0.value) × \($0.key)" }
        }
        return lines.joined(separator: "\n")
    }

    func explain(_ failure: DeliveryFailure, outbox: String) -> String {
        let kept = "\(pendingAfter.map(String.init) ?? "the") events are kept in the outbox and will be sent by the next run"
        return switch failure {
        case .unauthorized(let reason):
            "TikTok refused the access token (\(reason)). Delivery stopped; \(kept) with a valid token. Check it with `tiktok-offline check-auth`."
        case .misconfigured(let reason):
            "TikTok refused the requests themselves (\(reason)). Delivery stopped; \(kept) once the endpoint or event set id is fixed."
        case .unavailable(let reason):
            "TikTok kept failing (\(reason)). Delivery stopped; \(kept)."
        case .outbox(let reason):
            "the outbox failed (\(reason)); \(kept) once it can be written again."
        case .busy:
            "another process is delivering from \(outbox); nothing was read. Run again when it has finished, or give this run its own --outbox."
        case .alreadyRunning:
            "delivery was started twice in one process; \(kept)."
        }
    }
}

// MARK: - Progress

/// A progress bar on a terminal; a summary line every few seconds otherwise. Writes to stderr.
actor ProgressDisplay {
    private let start: ContinuousClock.Instant
    private let read: @Sendable () -> (Ingest.Totals, DeliveryReport)
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var drewBar = false

    init(start: ContinuousClock.Instant, read: @escaping @Sendable () -> (Ingest.Totals, DeliveryReport)) {
        self.start = start
        self.read = read
    }

    func run() async {
        let interval: Duration = isTerminal ? .milliseconds(200) : .seconds(5)
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            if Task.isCancelled { break }
            draw()
        }
    }

    func finish() {
        if drewBar { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private func draw() {
        let (totals, report) = read()
        let seconds = (ContinuousClock.now - start).inSeconds
        let rate = seconds > 0 ? Int(Double(report.sent) / seconds) : 0
        let figures = "received \(totals.received) · accepted \(totals.accepted) · sent \(report.sent) · retried \(report.retried) · dead-lettered \(report.deadLettered) · \(rate) ev/s"
        if isTerminal {
            let done = totals.accepted == 0 ? 0 : min(1, Double(report.sent + report.deadLettered) / Double(totals.accepted))
            let width = 24
            let filled = Int(done * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[2K\(bar) \(figures)".utf8))
            drewBar = true
        } else {
            FileHandle.standardError.write(Data("progress: \(figures)\n".utf8))
        }
    }
}

extension Duration {
    var inSeconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

// MARK: - Files

/// The input file, or stdin.
struct InputFile {
    let descriptor: Int32

    init(path: String?) throws {
        guard let path else {
            descriptor = STDIN_FILENO
            return
        }
        descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw CommandError("\(path): cannot open (\(String(cString: strerror(errno))))") }
    }

    func close() {
        if descriptor != STDIN_FILENO { _ = Foundation.close(descriptor) }
    }
}

/// Refused lines and records as NDJSON (`{"line":N,"mapping":…,"error":…}`), without personal data.
final class RejectsFile {
    private let handle: FileHandle

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CommandError("\(path): cannot create the rejects file")
        }
        self.handle = handle
    }

    func write(_ rejection: Ingest.Rejection) {
        var line: JSONObject = ["line": .int(rejection.line)]
        if let mapping = rejection.mapping { line["mapping"] = .string(mapping) }
        line["error"] = .string(rejection.reason)
        handle.write(Data((JSON.object(line).serialized() + "\n").utf8))
    }

    func close() { try? handle.close() }
}

/// Set once by a signal handler, read at the end.
final class InterruptFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
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
