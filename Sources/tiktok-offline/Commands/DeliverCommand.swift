import ArgumentParser
import AsyncHTTPClient
import ConversionEngine
import Delivery
import Foundation
import Logging
import OutboxSQLite
import ServiceLifecycle
import TikTokOffline
import TikTokEventsAPI

/// `tiktok-offline deliver`: sends what the outbox holds, reading no input, so ingest
/// (`run --no-deliver`, `serve --no-deliver`) and delivery run as separate processes.
struct DeliverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver",
        abstract: "Deliver the events waiting in the outbox to TikTok (no input is read).",
        discussion: """
            Without --follow, delivers until the outbox holds nothing for the event set, prints a \
            summary and exits with run's statuses (0 all delivered, 3 credentials or settings refused, \
            4 TikTok unavailable, 5 interrupted, 6 another process delivers from the outbox, 7 damaged, \
            8 the outbox cannot be written; with --strict, 2 when anything was dead-lettered). With --follow, keeps delivering what other processes store \
            until SIGTERM or Ctrl-C, which drain for at most --drain-timeout seconds.
            """
    )

    @OptionGroup var settings: SettingsOptions
    @OptionGroup var delivery: DeliveryOptions
    @OptionGroup var strict: StrictOption

    @Option(help: "The outbox file (SQLite).")
    var outbox: String = RunCommand.defaultOutboxPath

    @Flag(help: "Keep delivering what is stored from now on, until SIGTERM or Ctrl-C.")
    var follow = false

    @Option(help: "With --follow: seconds to go on draining after SIGTERM.")
    var drainTimeout = 10

    @Flag(help: "Print the final summary as one JSON line on stdout.")
    var jsonSummary = false

    func run() async throws {
        let settings = try settings.resolve(requireAccessToken: true)
        let route = try TikTokRoute(settings: settings)
        guard OutboxStatus.isPostgres(outbox) || FileManager.default.fileExists(atPath: outbox) else {
            throw CommandError("\(outbox): no such outbox file")
        }
        let outbox = try await OutboxStatus.openStore(self.outbox)
        let start = ContinuousClock.now
        let pendingBefore = try await OutboxStatus.pending(in: outbox, for: route)
        let httpClient = delivery.makeHTTPClient()
        let report: DeliveryReport, interrupted: Bool
        do {
            (report, interrupted) = follow
                ? try await deliverFollowing(outbox: outbox, route: route, httpClient: httpClient)
                : await deliverPending(outbox: outbox, route: route, httpClient: httpClient)
            try await httpClient.shutdown()
        } catch {
            try? await httpClient.shutdown()
            await outbox.close()
            throw error
        }

        let summary = RunSummary(
            totals: .init(), enqueued: .init(inserted: 0, duplicates: 0), report: report, pendingBefore: pendingBefore,
            pendingAfter: try? await OutboxStatus.pending(in: outbox, for: route),
            deadLettersTotal: (try? await outbox.counts().deadLetters) ?? 0,
            seconds: (ContinuousClock.now - start).inSeconds, interrupted: interrupted)
        await outbox.close()
        print(jsonSummary ? summary.json.serialized() : summary.text(topReasons: [:], outbox: OutboxStatus.shown(self.outbox), input: false))
        if let damage = outbox.damageFound { throw OutboxStatus.exit(for: damage) }
        if let failure = report.failure {
            Terminal.error("error: \(summary.explain(failure, outbox: OutboxStatus.shown(self.outbox)))")
            throw ExitCode(RunExitStatus(failure).rawValue)
        }
        if interrupted && !follow { throw ExitCode(RunExitStatus.interrupted.rawValue) }
        try strict.check(summary.refusals)
    }

    /// Until the outbox is empty for the event set; Ctrl-C stops after the requests in flight.
    private func deliverPending(outbox: any OutboxStore, route: TikTokRoute, httpClient: HTTPClient) async -> (DeliveryReport, Bool) {
        let deliverer = delivery.deliverer(outbox: outbox, route: route, httpClient: httpClient)
        deliverer.finishInput()
        let interrupted = InterruptFlag()
        let signals = Task {
            for await _ in await TerminationSignals.stream() {
                interrupted.set()
                deliverer.stop()
            }
        }
        defer { signals.cancel() }
        return (await deliverer.run(), interrupted.isSet)
    }

    /// Until SIGTERM or Ctrl-C, as a ServiceLifecycle service that drains on shutdown.
    private func deliverFollowing(outbox: any OutboxStore, route: TikTokRoute, httpClient: HTTPClient) async throws -> (DeliveryReport, Bool) {
        let delivery = self.delivery
        let service = DeliveryService(drainTimeout: .seconds(drainTimeout), logger: Logger(label: "tiktok-offline.delivery")) {
            delivery.deliverer(outbox: outbox, route: route, httpClient: httpClient)
        }
        do {
            try service.takeDeliveryLock()
        } catch {
            var report = DeliveryReport()
            report.failure = error
            return (report, false)
        }
        let group = ServiceGroup(configuration: .init(
            services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "tiktok-offline.deliver")))
        Terminal.error("delivering from \(OutboxStatus.shown(self.outbox)) until SIGTERM or Ctrl-C")
        try await group.run()
        var report = service.progress
        report.failure = service.failure
        return (report, true)
    }
}
