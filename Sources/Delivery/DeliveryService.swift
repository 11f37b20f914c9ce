import Logging
import ServiceLifecycle
import Synchronization

/// Delivery for a long-lived process, as a ServiceLifecycle `Service`: delivers events as they
/// are stored, and keeps the service up when delivery cannot go on.
///
/// - The destination unavailable (retries exhausted): a new ``Deliverer`` starts after ``retryPause``.
/// - Credentials or settings refused, outbox failing: delivery waits, with the reason in
///   ``failure`` (a readiness check reports it), until ``restart()`` (after a reload) or shutdown.
///   Events keep being accepted into the outbox meanwhile; nothing is lost.
/// - Graceful shutdown: no more waiting for input; the outbox is drained for at most
///   ``drainTimeout``, then the requests in flight finish and what is unsent stays stored.
public final class DeliveryService: Service {
    public let drainTimeout: Duration
    public let retryPause: Duration
    private let makeDeliverer: @Sendable () -> Deliverer
    private let logger: Logger
    private struct State {
        var current: Deliverer?
        /// Made by ``takeDeliveryLock()``, run first.
        var prepared: Deliverer?
        var totals = DeliveryReport()
        var failure: DeliveryFailure?
        var shuttingDown = false
        var wake: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    /// - Parameter makeDeliverer: builds the deliverer for each start, from the configuration in
    ///   force then (so a restart after a reload uses the new credentials).
    public init(
        drainTimeout: Duration = .seconds(10), retryPause: Duration = .seconds(30), logger: Logger = Logger(label: "delivery"),
        makeDeliverer: @escaping @Sendable () -> Deliverer
    ) {
        self.drainTimeout = drainTimeout
        self.retryPause = retryPause
        self.logger = logger
        self.makeDeliverer = makeDeliverer
    }

    /// Why delivery is waiting instead of delivering; nil while it delivers.
    public var failure: DeliveryFailure? { state.withLock { $0.failure } }

    /// Totals over every deliverer this service ran, the current one included.
    public var progress: DeliveryReport {
        state.withLock { state in
            var report = state.totals
            if let current = state.current?.progress {
                report.sent += current.sent
                report.deadLettered += current.deadLettered
                report.retried += current.retried
                report.requests += current.requests
            }
            report.failure = state.failure
            return report
        }
    }

    /// Makes the first deliverer now and takes the outbox's delivery lock with it, so that a
    /// process can refuse to start when another one delivers from the outbox
    /// (``DeliveryFailure/busy(_:)``).
    public func takeDeliveryLock() throws(DeliveryFailure) {
        let deliverer = makeDeliverer()
        try deliverer.takeDeliveryLock()
        state.withLock { $0.prepared = deliverer }
    }

    /// Ends a wait after a failure: delivery starts again with a new deliverer.
    public func restart() {
        let wake = state.withLock { state in
            defer { state.wake = nil }
            return state.wake
        }
        wake?.resume()
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            while !isShuttingDown {
                let deliverer = state.withLock { state in
                    defer { state.prepared = nil }
                    return state.prepared
                } ?? makeDeliverer()
                state.withLock { $0.current = deliverer; $0.failure = nil }
                if isShuttingDown { deliverer.finishInput() }
                let report = await deliverer.run()
                let failure = state.withLock { state -> DeliveryFailure? in
                    state.current = nil
                    state.totals.sent += report.sent
                    state.totals.deadLettered += report.deadLettered
                    state.totals.retried += report.retried
                    state.totals.requests += report.requests
                    if !state.shuttingDown { state.failure = report.failure }
                    return state.failure
                }
                guard let failure else { continue }
                if Task.isCancelled { return }
                switch failure {
                case .unavailable, .busy, .alreadyRunning:
                    logger.warning("delivery paused; trying again", metadata: ["reason": "\(failure)", "in_seconds": "\(retryPause.components.seconds)"])
                    await waitForRestart(upTo: retryPause)
                case .unauthorized, .misconfigured, .outbox:
                    logger.error("delivery stopped; events are kept and accepted until the configuration is fixed and reloaded",
                                 metadata: ["reason": "\(failure)"])
                    await waitForRestart(upTo: nil)
                }
            }
        } onGracefulShutdown: {
            let (current, wake) = self.state.withLock { state in
                state.shuttingDown = true
                defer { state.wake = nil }
                return (state.current, state.wake)
            }
            wake?.resume()
            current?.finishInput()
            let timeout = self.drainTimeout
            Task {
                try? await Task.sleep(for: timeout)
                self.state.withLock { $0.current }?.stop()
            }
        }
    }

    private var isShuttingDown: Bool { state.withLock { $0.shuttingDown } || Task.isCancelled }

    /// Returns on ``restart()``, shutdown, cancellation, or after `limit`.
    private func waitForRestart(upTo limit: Duration?) async {
        let timer = limit.map { limit in Task { try? await Task.sleep(for: limit); self.restart() } }
        defer { timer?.cancel() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (wake: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state in
                    if state.shuttingDown || Task.isCancelled { return true }
                    state.wake = wake
                    return false
                }
                if now { wake.resume() }
            }
        } onCancel: {
            self.restart()
        }
    }
}
