import ArgumentParser
import ConversionEngine
import Delivery
import Foundation
import Logging
import Metrics
import Prometheus
import Runtime
import TikTokOffline
import TikTokOfflineServer
import TikTokEventsAPI

/// `tiktok-offline serve`: Segment's HTTP API and webhooks in, TikTok out, as a service.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Take events over HTTP (Segment's Tracking API and Webhooks) and deliver them to TikTok.",
        discussion: """
            Answers 200 only once every event of a request is stored in the outbox; delivers in the \
            background. SIGHUP reloads the mappings and settings (a bad configuration is logged and the \
            old one stays); SIGTERM or Ctrl-C stops accepting, finishes the requests in flight, drains \
            delivery for at most --drain-timeout seconds and exits 0. Exit 1: bad configuration; 6: \
            another process delivers from the outbox; 7: the outbox is damaged. Write keys, the webhook secret and \
            the admin token may also come from TIKTOK_OFFLINE_WRITE_KEYS (comma-separated), \
            TIKTOK_OFFLINE_WEBHOOK_SECRET and TIKTOK_OFFLINE_ADMIN_TOKEN, which keeps them out of the \
            process list. See docs/serve.md.
            """
    )

    @OptionGroup var mappings: MappingOptions
    @OptionGroup var settings: SettingsOptions
    @OptionGroup var delivery: DeliveryOptions
    @Option(help: "Batches of events processed at once, each on a core (default: the machine's cores); two more wait on outbox commits. Each request is answered once its own events are stored.")
    var threads: Int?

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8088

    @Option(help: "The outbox file (SQLite), created if missing.")
    var outbox: String = RunCommand.defaultOutboxPath

    @Option(name: .customLong("write-key"), help: "A write key that may send events (repeatable).")
    var writeKeys: [String] = []

    @Option(help: "Secret of Segment's Webhooks destination; enables POST /webhook.")
    var webhookSecret: String?

    @Option(help: "Bearer token for /debug and /metrics; they answer 404 without one.")
    var adminToken: String?

    @Option(help: "Largest event in bytes.")
    var maxEventBytes = 32 * 1024

    @Option(help: "Largest request body in bytes (inflated, if gzipped).")
    var maxRequestBytes = 500 * 1024

    @Option(help: "Largest CSV upload (POST /v1/csv) in bytes (inflated, if gzipped).")
    var maxUploadBytes = 32 << 20

    @Option(help: "Also serve /healthz, /readyz, /metrics and /match-quality on this port (0 picks one), with connections of its own: probes are answered even while clients hold every connection of --port.")
    var healthPort: Int?

    @Option(help: "Most connections open at once.")
    var maxConnections = 1_024

    @Option(help: "Seconds a client may take to send its request body; an idle or stalled connection is closed after as long.")
    var requestTimeout = 30

    @Option(help: "Seconds delivery may go on draining the outbox after SIGTERM.")
    var drainTimeout = 10

    @Flag(help: "Only store accepted events; another process (`deliver`) sends them.")
    var noDeliver = false

    @Flag(help: "Faster commits that survive a crash of the process but not a power cut.")
    var relaxedDurability = false

    func validate() throws {
        try ThreadsOption(threads: threads).validate()
        guard (0...65_535).contains(port), (0...65_535).contains(healthPort ?? 0) else {
            throw ValidationError("--port and --health-port must be between 0 and 65535")
        }
        guard maxEventBytes > 0, maxRequestBytes >= maxEventBytes, maxUploadBytes >= maxEventBytes, maxConnections > 0, drainTimeout >= 0, requestTimeout > 0 else {
            throw ValidationError(
                "--max-event-bytes, --max-connections and --request-timeout must be positive, --max-request-bytes and --max-upload-bytes at least --max-event-bytes")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let keys = writeKeys + (environment["TIKTOK_OFFLINE_WRITE_KEYS"] ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        guard !keys.isEmpty else {
            throw CommandError("serve needs at least one --write-key (or TIKTOK_OFFLINE_WRITE_KEYS): every event must be authenticated")
        }
        var configuration = TikTokOfflineServer.Configuration(writeKeys: keys)
        configuration.host = host
        configuration.port = port
        configuration.webhookSecret = webhookSecret ?? environment["TIKTOK_OFFLINE_WEBHOOK_SECRET"]
        configuration.adminToken = adminToken ?? environment["TIKTOK_OFFLINE_ADMIN_TOKEN"]
        configuration.maxEventBytes = maxEventBytes
        configuration.maxRequestBytes = maxRequestBytes
        configuration.maxUploadBytes = maxUploadBytes
        configuration.queue.workers = ThreadsOption(threads: threads).withCommits
        configuration.maxConnections = maxConnections
        configuration.healthPort = healthPort
        configuration.drainTimeout = .seconds(drainTimeout)
        configuration.idleTimeout = .seconds(requestTimeout)
        configuration.bodyTimeout = .seconds(requestTimeout)

        let outbox = try await OutboxStatus.openStore(self.outbox, configuration: .init(synchronousCommits: !relaxedDurability))
        let (mappings, settings) = (self.mappings, self.settings)
        let load: @Sendable () throws -> TikTokOfflineServer.LiveConfiguration = {
            let resolved = try settings.resolve(requireAccessToken: true)
            let route = try TikTokRoute(settings: resolved)
            let engine = try mappings.engine(settings: resolved, sink: OutboxSink(outbox: outbox))
            return .init(ingest: Ingest(engine: engine), route: route, builder: TikTokRequestBuilder(settings: resolved))
        }
        let httpClient = delivery.makeHTTPClient()
        let delivery = self.delivery
        var makeDeliverer: TikTokOfflineServer.DelivererFactory?
        if !noDeliver {
            makeDeliverer = { live, onSettled in
                delivery.deliverer(outbox: outbox, route: live.route, httpClient: httpClient, onSettled: onSettled)
            }
        }
        do {
            let server = try TikTokOfflineServer(
                configuration: configuration, outbox: outbox, load: load,
                makeDeliverer: makeDeliverer,
                registry: MetricsEndpoint.bootstrap())
            try await server.run(
                onListening: { host, port in Terminal.error("listening on http://\(host):\(port)") },
                onHealthListening: { host, port in Terminal.error("health and metrics on http://\(host):\(port)") })
            let quality = server.matchQuality
            if !quality.order.isEmpty { Terminal.error(quality.table()) }
            try await httpClient.shutdown()
            await outbox.close()
        } catch let error as CommandError {
            try? await httpClient.shutdown()
            await outbox.close()
            throw error
        } catch let failure as DeliveryFailure {
            try? await httpClient.shutdown()
            await outbox.close()
            Terminal.error("error: \(failure). Stop it first, or give this service its own --outbox.")
            throw ExitCode(RunExitStatus.outboxBusy.rawValue)
        } catch {
            try? await httpClient.shutdown()
            await outbox.close()
            throw CommandError("serve stopped: \(error)")
        }
        if let damage = outbox.damageFound { throw OutboxStatus.exit(for: damage) }
    }
}

extension TikTokRoute {
    /// The route of resolved settings (an access token and an event set id are required).
    init(settings: TikTokSettings) throws {
        guard let token = settings.accessToken, let eventSetID = settings.eventSetID else {
            throw CommandError("settings: an access token and an event set id are required")
        }
        self.init(eventSetID: eventSetID, partnerName: settings.partnerName, accessToken: token, testEventCode: settings.testEventCode)
    }
}
