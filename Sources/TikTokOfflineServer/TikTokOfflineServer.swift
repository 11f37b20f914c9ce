import Delivery
import ConversionEngine
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization
import TikTokOffline
import UnixSignals
import TikTokEventsAPI

/// The live service: Segment's HTTP Tracking API and Webhooks in, the outbox, delivery to
/// TikTok in the background, health, metrics and a live debug view.
///
/// ```
/// SDKs, webhooks ──HTTP──▶ routes ──▶ IngestQueue (group commit) ──▶ outbox ──▶ DeliveryService ──▶ TikTok
///                          200 once stored                                         │
///                 /debug/events ◀── DebugFeed ◀── outcomes (stored, rejected, delivered, dead-lettered)
/// ```
///
/// ``run(onListening:)`` runs one ServiceGroup — delivery, ingest, HTTP server, reload — that
/// starts and stops together. SIGTERM or SIGINT: the server stops accepting and finishes the
/// requests in flight, the queue stores what it holds, delivery drains for at most
/// ``Configuration/drainTimeout``; then it returns. SIGHUP reloads the configuration (see
/// ``reload()``). Nothing acknowledged is lost: a 200 is written only after its events are committed.
public final class TikTokOfflineServer: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        /// 0 picks a free port.
        public var port = 8088
        /// Keys that may send events (HTTP Basic user name, or `writeKey` in the body).
        public var writeKeys: [String]
        /// Secret of Segment's Webhooks destination; `/webhook` answers 404 without one.
        public var webhookSecret: String?
        /// Bearer token for `/debug` and `/metrics`; they answer 404 without one.
        public var adminToken: String?
        /// Largest event, serialized (Segment's limit: 32 KB).
        public var maxEventBytes = 32 * 1024
        /// Largest request body, inflated if gzipped (Segment's limit: 500 KB).
        public var maxRequestBytes = 500 * 1024
        /// Largest CSV upload (`POST /v1/csv`), inflated if gzipped.
        public var maxUploadBytes = 32 << 20
        /// Longest time to receive a CSV upload, and to wait for room in a full queue for its rows.
        public var uploadTimeout: Duration = .seconds(120)
        /// Connections open at once; more wait in the listen backlog.
        public var maxConnections = 1_024
        /// A port of its own for `/healthz`, `/readyz`, `/metrics` and `/match-quality` (0
        /// picks one), with its own few connections: probes are answered even while clients
        /// hold every connection of the main port. Nil: they are served on the main port only.
        public var healthPort: Int?
        /// Connections open at once on ``healthPort``.
        public var maxHealthConnections = 64
        /// An idle connection, or a client that stops sending its request, is closed after this.
        public var idleTimeout: Duration = .seconds(30)
        /// Longest time to receive one request body.
        public var bodyTimeout: Duration = .seconds(30)
        /// How long delivery may go on draining the outbox after SIGTERM.
        public var drainTimeout: Duration = .seconds(10)
        public var queue = IngestQueue.Configuration()

        public init(writeKeys: [String]) {
            self.writeKeys = writeKeys
        }
    }

    /// What a reload replaces: the pipeline (mappings and settings) and where it delivers.
    public struct LiveConfiguration: Sendable {
        public var ingest: Ingest
        public var route: TikTokRoute
        public var builder: TikTokRequestBuilder

        public init(ingest: Ingest, route: TikTokRoute, builder: TikTokRequestBuilder) {
            self.ingest = ingest
            self.route = route
            self.builder = builder
        }
    }

    /// Builds the deliverer for a configuration; it must report settlements to the closure it is given.
    public typealias DelivererFactory = @Sendable (LiveConfiguration, _ onSettled: @escaping @Sendable (DeliverySettlement) -> Void) -> Deliverer

    public let configuration: Configuration
    public let outbox: any OutboxStore
    let credentials: Credentials
    let queue: IngestQueue
    let delivery: DeliveryService?
    let feed = DebugFeed()
    let metrics: ServerMetrics
    let logger: Logger
    private let load: @Sendable () throws -> LiveConfiguration
    private let live: Locked<LiveConfiguration>
    private let shuttingDown = Mutex(false)

    /// - Parameters:
    ///   - load: builds the live configuration; called now and on every reload. Its errors
    ///     should name `file:line:column`: they are logged as they are.
    ///   - makeDeliverer: nil to only accept events (another process delivers them).
    ///   - registry: where `/metrics` reads from (bootstrap swift-metrics with it first).
    public init(
        configuration: Configuration, outbox: any OutboxStore, load: @escaping @Sendable () throws -> LiveConfiguration,
        makeDeliverer: DelivererFactory?, registry: PrometheusCollectorRegistry? = nil,
        logger: Logger = Logger(label: "tiktok-offline.serve")
    ) throws {
        let initial = try load()
        self.configuration = configuration
        self.outbox = outbox
        self.load = load
        self.logger = logger
        let live = Locked(initial)
        self.live = live
        self.credentials = Credentials(
            writeKeys: configuration.writeKeys, webhookSecret: configuration.webhookSecret, adminToken: configuration.adminToken)
        self.metrics = ServerMetrics(registry: registry)
        let feed = self.feed
        self.queue = IngestQueue(ingest: initial.ingest, configuration: configuration.queue) { engine, records in
            guard feed.wantsTraces(records: records) else { return nil }
            let actions = engine.actions
            return { record, stage in
                var printer = DryRunPrinter(destination: TikTokOfflineDestination(settings: .init()), capacity: 512)
                printer.writeTrace(record, stage: stage, schema: actions[record.action])
                return String(decoding: printer.buffer.dropLast(), as: UTF8.self)
            }
        }
        if let makeDeliverer {
            self.delivery = DeliveryService(drainTimeout: configuration.drainTimeout, logger: Logger(label: "tiktok-offline.delivery")) {
                makeDeliverer(live.value, { feed.settled($0) })
            }
        } else {
            self.delivery = nil
        }
    }

    /// The configuration requests are processed with now.
    var current: LiveConfiguration { live.value }

    var isShuttingDown: Bool { shuttingDown.withLock { $0 } }

    /// Loads the configuration again. A good one replaces the old one for the batches taken from
    /// now on (and delivery restarts with it if its route changed or it had stopped); a bad one
    /// is logged and the old one stays. Returns the error, if any.
    @discardableResult
    public func reload() -> (any Error)? {
        let next: LiveConfiguration
        do {
            next = try load()
        } catch {
            logger.error("reload failed; the previous configuration stays in force", metadata: ["error": "\(error)"])
            return error
        }
        let previous = live.exchange(next)
        queue.replace(next.ingest)
        if previous.route != next.route || delivery?.failure != nil { delivery?.restart() }
        logger.notice("configuration reloaded", metadata: ["mappings": "\(next.ingest.engine.enabledMappings.count)"])
        return nil
    }

    /// The share of each mapping's records TikTok can match, over every record since the start.
    public var matchQuality: MatchQuality { metrics.matchQuality }

    /// How long a failed store (full disk, lost database) keeps the service not ready, unless
    /// a later batch is stored first.
    static let storeFailureWindow: Duration = .seconds(30)

    /// Why the service is not ready to take events, or nil when it is.
    var unreadiness: String? {
        if isShuttingDown { return "shutting down" }
        if let damage = outbox.damageFound { return "outbox: \(damage)" }
        if let failure = queue.recentFailure(within: Self.storeFailureWindow) {
            return "events cannot be stored (\(OutboxError.describe(failure))); ingest answers 503"
        }
        switch delivery?.failure {
        case .unauthorized(let reason)?: return "delivery stopped: TikTok refused the access token (\(reason))"
        case .misconfigured(let reason)?: return "delivery stopped: TikTok refused the requests (\(reason))"
        case .outbox(let reason)?: return "delivery stopped: the outbox failed (\(reason))"
        default: return nil
        }
    }

    /// Runs until SIGTERM or SIGINT (or cancellation). `onListening` is called with the bound
    /// address once connections are accepted, `onHealthListening` with the health port's
    /// (when ``Configuration/healthPort`` is set). Throws ``DeliveryFailure/busy(_:)`` at once,
    /// before listening, when another process delivers from the outbox.
    public func run(
        onListening: @escaping @Sendable (_ host: String, _ port: Int) -> Void = { _, _ in },
        onHealthListening: @escaping @Sendable (_ host: String, _ port: Int) -> Void = { _, _ in }
    ) async throws {
        try delivery?.takeDeliveryLock()
        let host = configuration.host
        let app = Application(
            router: makeRouter(),
            server: .http1(configuration: .init(idleTimeout: .nanoseconds(configuration.idleTimeout.nanosecondsClamped))),
            configuration: .init(
                address: .hostname(host, port: configuration.port), serverName: "tiktok-offline",
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections)),
            onServerRunning: { channel in onListening(host, channel.localAddress?.port ?? 0) },
            logger: quietLogger()
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let delivery { services.append(.init(service: delivery, serviceName: "delivery")) }
        services += [
            .init(service: queue, serviceName: "ingest"),
            .init(service: app, serviceName: "http"),
        ]
        if let healthPort = configuration.healthPort {
            let router = Router()
            addOperationsRoutes(to: router)
            let health = Application(
                router: router,
                server: .http1(configuration: .init(idleTimeout: .seconds(5))),
                configuration: .init(
                    address: .hostname(host, port: healthPort), serverName: "tiktok-offline",
                    availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxHealthConnections)),
                onServerRunning: { channel in onHealthListening(host, channel.localAddress?.port ?? 0) },
                logger: quietLogger()
            )
            services.append(.init(service: health, serviceName: "health"))
        }
        services += [
            .init(service: ReloadOnHangup(server: self), successTerminationBehavior: .ignore, serviceName: "reload"),
            .init(service: ShutdownNotice(server: self), successTerminationBehavior: .ignore, serviceName: "shutdown-notice"),
        ]
        let group = ServiceGroup(configuration: .init(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: quietLogger()))
        try await group.run()
    }

    /// Marks the service as shutting down the moment shutdown begins (it is the last service,
    /// so the first told): `/readyz` and new events get 503, open debug streams end.
    fileprivate func beginShutdown() {
        shuttingDown.withLock { $0 = true }
        feed.finish()
    }

    private func quietLogger() -> Logger {
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .warning)
        return quiet
    }
}

/// Reloads on SIGHUP until shutdown.
private struct ReloadOnHangup: Service {
    let server: TikTokOfflineServer

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: [.sighup]).cancelOnGracefulShutdown() {
            server.reload()
        }
    }
}

/// Returns as soon as graceful shutdown begins, telling the server.
private struct ShutdownNotice: Service {
    let server: TikTokOfflineServer

    func run() async throws {
        try? await gracefulShutdown()
        server.beginShutdown()
    }
}

extension Duration {
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        return seconds >= Int64.max / 1_000_000_000 ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// A value shared between tasks and replaced whole.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    var value: Value { mutex.withLock { $0 } }
    /// Puts `value` in and returns the one it replaces.
    func exchange(_ value: Value) -> Value {
        mutex.withLock { current in
            defer { current = value }
            return current
        }
    }
}
