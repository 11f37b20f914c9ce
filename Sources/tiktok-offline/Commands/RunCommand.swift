import ArgumentParser
import AsyncHTTPClient
import ConversionEngine
import Delivery
import Dispatch
import Foundation
import Hummingbird
import JSONKit
import Logging
import MappingKit
import Metrics
import OutboxSQLite
import Prometheus
import Runtime
import Synchronization
import TikTokOffline
import TikTokEventsAPI

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
            damaged (see `outbox recover`), 8 the outbox cannot be written (full disk, permissions); \
            with --strict, 2 when anything was refused, fired no mapping or was dead-lettered.
            """
    )

    @OptionGroup var mappings: MappingOptions
    @OptionGroup var settings: SettingsOptions

    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var threads: ThreadsOption

    @OptionGroup var delivery: DeliveryOptions
    @OptionGroup var strict: StrictOption

    @Option(help: "The outbox file (SQLite), created if missing.")
    var outbox: String = defaultOutboxPath

    @Option(help: "Write every refused line and record as NDJSON to this file.")
    var rejects: String?

    @Option(help: "Serve metrics in Prometheus text format at http://127.0.0.1:PORT/metrics (0 picks a port).")
    var metricsPort: Int?

    @Flag(help: "Print the final summary as one JSON line on stdout.")
    var jsonSummary = false

    @Flag(help: "Only store accepted events in the outbox and exit; another process (`deliver`, `serve`) sends them.")
    var noDeliver = false

    @Flag(help: "Faster commits that survive a crash of the process but not a power cut.")
    var relaxedDurability = false

    func run() async throws {
        let logger = Logger(label: "tiktok-offline.run")
        var metricsServer: Task<Void, any Error>?
        if let metricsPort { metricsServer = try await MetricsEndpoint.start(port: metricsPort, logger: logger) }
        defer { metricsServer?.cancel() }

        let settings = try settings.resolve(requireAccessToken: true)
        let route = try TikTokRoute(settings: settings)
        let outbox = try await OutboxStatus.openStore(self.outbox, configuration: .init(synchronousCommits: !relaxedDurability))
        let sink = OutboxSink(outbox: outbox)
        let engine = try mappings.engine(settings: settings, sink: sink)
        let ingest = Ingest(engine: engine)

        let httpClient = delivery.makeHTTPClient()
        do {
            try await ingestAndDeliver(outbox: outbox, route: route, ingest: ingest, sink: sink, httpClient: httpClient)
            try await httpClient.shutdown()
            await outbox.close()
        } catch {
            try? await httpClient.shutdown()
            await outbox.close()
            throw error
        }
    }

    /// Reads the input into the outbox while delivering from it, then prints the summary.
    private func ingestAndDeliver(outbox: any OutboxStore, route: TikTokRoute, ingest: Ingest, sink: OutboxSink, httpClient: HTTPClient) async throws {
        let deliverer = noDeliver ? nil : delivery.deliverer(outbox: outbox, route: route, httpClient: httpClient)
        let start = ContinuousClock.now
        // Before any input is read: a run that may not deliver reads nothing.
        do {
            try deliverer?.takeDeliveryLock()
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

        let input = try InputFile(path: inputOptions.input)
        defer { input.close() }
        let rejectsFile = try rejects.map { try RejectsFile(path: $0) }
        defer { rejectsFile?.close() }
        var reasons: [String: Int] = [:]
        var quality = MatchQuality()
        let qualityMetrics = MatchQualityMetrics()

        let interrupted = InterruptFlag()
        let signals = Task {
            var count = 0
            for await _ in await TerminationSignals.stream() {
                count += 1
                interrupted.set()
                if count == 1 {
                    FileHandle.standardError.write(Data("\nStopping: no more input is read; sending what is accepted (interrupt again to stop now).\n".utf8))
                    ingest.stop()
                } else {
                    deliverer?.stop()
                }
            }
        }
        defer { signals.cancel() }
        let progress = ProgressDisplay(start: start) {
            (ingest.totals, deliverer?.progress ?? DeliveryReport())
        }
        let progressTask = Task { await progress.run() }

        async let delivered = Self.deliver(with: deliverer)
        let totals: Ingest.Totals
        do {
            var source = try inputOptions.format().source(fileDescriptor: input.descriptor, maxEventBytes: 1 << 20)
            totals = try await ingest.run(&source, batchSize: self.delivery.batchSize, parallelBatches: threads.withCommits) { ingested in
                for rejection in ingested.rejections {
                    reasons[rejection.reason, default: 0] += 1
                    rejectsFile?.write(rejection)
                }
                var batchQuality = MatchQuality()
                batchQuality.add(ingested.batch.records)
                quality.add(batchQuality)
                if metricsPort != nil { qualityMetrics.record(batchQuality) }
            }
        } catch {
            deliverer?.stop()
            _ = await delivered
            progressTask.cancel()
            if let damage = outbox.damageFound { throw OutboxStatus.exit(for: damage) }
            if let error = error as? OutboxError { throw OutboxStatus.exit(for: error) }
            throw CommandError("reading events stopped: \(error)")
        }
        deliverer?.finishInput()
        let report = await delivered
        progressTask.cancel()
        await progress.finish()

        let counts = try? await outbox.counts()
        try finish(RunSummary(
            totals: totals, enqueued: sink.enqueued, report: report, pendingBefore: pendingBefore,
            pendingAfter: try? await OutboxStatus.pending(in: outbox, for: route), deadLettersTotal: counts?.deadLetters ?? 0,
            seconds: (ContinuousClock.now - start).inSeconds,
            interrupted: interrupted.isSet, matchQuality: quality
        ), reasons: reasons, outbox: outbox)
    }

    /// Runs `deliverer` to its end; nothing to report without one (`--no-deliver`).
    private static func deliver(with deliverer: Deliverer?) async -> DeliveryReport {
        guard let deliverer else { return DeliveryReport() }
        return await deliverer.run()
    }

    /// Prints the summary and the reason delivery stopped, and exits with the matching status.
    private func finish(_ summary: RunSummary, reasons: [String: Int], outbox: any OutboxStore) throws {
        if jsonSummary {
            print(summary.json.serialized())
        } else {
            print(summary.text(topReasons: reasons, outbox: OutboxStatus.shown(self.outbox)))
        }
        if let damage = outbox.damageFound { throw OutboxStatus.exit(for: damage) }
        if let failure = summary.report.failure {
            FileHandle.standardError.write(Data("error: \(summary.explain(failure, outbox: OutboxStatus.shown(self.outbox)))\n".utf8))
            throw ExitCode(RunExitStatus(failure).rawValue)
        }
        if summary.interrupted { throw ExitCode(RunExitStatus.interrupted.rawValue) }
        try strict.check(summary.refusals)
    }
}
