import Foundation
import Logging
import Synchronization

/// Drains an ``OutboxStore`` through a ``BatchTransport``: batches, bounded concurrency, retries,
/// isolation of refused rows, and a clean stop on bad credentials.
///
/// ```
/// outbox ──claim──▶ worker ×concurrency ──send──▶ transport
///    ▲                 │ accepted ──────────▶ confirm (delete)
///    │                 │ retryable ─────────▶ backoff + jitter, same batch again
///    │                 │ refused (n > 1) ───▶ split, send the parts
///    │                 │ refused (n = 1) ───▶ dead letter with the reason
///    └──── release ◀───┘ unauthorized,
///                          misconfigured ─────▶ stop everything, keep all pending
/// ```
///
/// Call ``finishInput()`` once no more events will be enqueued; ``run()`` then returns when the
/// outbox holds nothing for the destinations. Until then it waits for more, letting a partly filled
/// batch linger briefly so requests stay large. ``stop()`` finishes the requests in flight, gives
/// their unsent events back to the outbox, and makes ``run()`` return.
///
/// ``run()`` holds the store's delivery lock (``OutboxStore/lockForDelivery()``: for the SQLite
/// ``Outbox``, one deliverer per file, through `<outbox>.deliver-lock`) and fails at once
/// (``DeliveryFailure/busy(_:)``) if another process holds it. ``takeDeliveryLock()`` takes it earlier, so a caller can refuse to start before
/// reading any input. One ``run()`` at a time per instance; a second call returns at once with
/// ``DeliveryFailure/alreadyRunning``.
///
/// Besides `destinations`, it delivers every pending destination the transport can send to
/// (``BatchTransport/canSend(to:)``), found in the outbox as they appear: events a mapping
/// routes elsewhere (another test code) are not left behind.
///
/// Outages are logged, not only counted: the first failed attempt after a success is a warning
/// with the reason, a line follows at most every ``Configuration/outageReportInterval`` while
/// attempts keep failing, and the recovery is logged once. Cancelling the task that runs
/// ``run()`` is the same as ``stop()``.
public final class Deliverer: Sendable {
    public struct Configuration: Sendable {
        public var batch: OutboxBatchLimits
        /// Requests in flight at once.
        public var concurrency: Int
        public var retry: RetryPolicy
        /// While input is still arriving, how long a partly filled batch may wait to fill up.
        public var linger: Duration
        /// How often an idle worker looks for new events.
        public var pollInterval: Duration
        /// While attempts keep failing, the least time between two log lines about it.
        public var outageReportInterval: Duration

        public init(
            batch: OutboxBatchLimits = .init(maxCount: 1_000, maxBytes: 4 << 20),
            concurrency: Int = 4,
            retry: RetryPolicy = .init(),
            linger: Duration = .milliseconds(50),
            pollInterval: Duration = .milliseconds(10),
            outageReportInterval: Duration = .seconds(10)
        ) {
            precondition(concurrency >= 1, "at least one request in flight")
            self.batch = batch
            self.concurrency = concurrency
            self.retry = retry
            self.linger = linger
            self.pollInterval = pollInterval
            self.outageReportInterval = outageReportInterval
        }
    }

    private struct State: Sendable {
        var report = DeliveryReport()
        var inputFinished = false
        var stopping = false
        var running = false
        var pausedUntil: ContinuousClock.Instant?
        /// The destinations being delivered: those given, and those found pending since.
        var destinations: [String]
        var lastDiscovery: ContinuousClock.Instant?
        var outage = Outage()
        /// Since when the outbox's database has been unreachable, while it is.
        var outboxAwaySince: ContinuousClock.Instant?
    }

    /// Failed attempts since the last success, for the outage log lines.
    private struct Outage: Sendable {
        var failing = false
        var since: ContinuousClock.Instant = .now
        var lastReport: ContinuousClock.Instant = .now
        var failedAttempts = 0
    }

    public let outbox: any OutboxStore
    public let configuration: Configuration
    private let transport: any BatchTransport
    private let logger: Logger
    private let metrics = DeliveryMetrics()
    private let state: Mutex<State>
    private let lock = Mutex<(any OutboxDeliveryLock)?>(nil)
    private let onSettled: (@Sendable (DeliverySettlement) -> Void)?
    /// How often workers look for destinations they do not know yet while input arrives.
    private static let discoveryInterval: Duration = .milliseconds(500)

    /// - Parameter destinations: the outbox destination keys this deliverer may send to (the
    ///   transport must know each of them).
    /// - Parameter onSettled: told of every event delivered or dead-lettered, once it is
    ///   recorded in the outbox (for live views); called from the delivery tasks, so keep it short.
    public init(
        outbox: any OutboxStore,
        transport: any BatchTransport,
        destinations: [String],
        configuration: Configuration = .init(),
        logger: Logger = Logger(label: "delivery"),
        onSettled: (@Sendable (DeliverySettlement) -> Void)? = nil
    ) {
        self.onSettled = onSettled
        self.outbox = outbox
        self.transport = transport
        self.state = Mutex(State(destinations: destinations))
        self.configuration = configuration
        self.logger = logger
    }

    /// The destinations delivered so far: those given, and those found pending since.
    public var destinations: [String] { state.withLock { $0.destinations } }

    /// Totals so far (for progress display).
    public var progress: DeliveryReport { state.withLock { $0.report } }

    /// No more events will be enqueued: ``run()`` returns once the outbox is empty.
    public func finishInput() { state.withLock { $0.inputFinished = true } }

    /// Stop claiming, finish the requests in flight, and return from ``run()``.
    public func stop() { state.withLock { $0.stopping = true } }

    /// Takes the outbox's delivery lock now instead of in ``run()``: throws
    /// ``DeliveryFailure/busy(_:)`` when another process holds it. Held until ``run()`` returns.
    public func takeDeliveryLock() throws(DeliveryFailure) {
        try lock.withLock { (held: inout (any OutboxDeliveryLock)?) throws(DeliveryFailure) in
            guard held == nil else { return }
            held = try outbox.lockForDelivery()
        }
    }

    /// Delivers until the outbox is empty after ``finishInput()``, until ``stop()`` or
    /// cancellation, or until a failure. Events not delivered stay pending in the outbox; the
    /// report's `failure` says why it stopped early.
    public func run() async -> DeliveryReport {
        let alreadyRunning = state.withLock { state in
            defer { state.running = true }
            return state.running
        }
        if alreadyRunning {
            var report = DeliveryReport()
            report.failure = .alreadyRunning
            return report
        }
        defer { state.withLock { $0.running = false } }
        do {
            try takeDeliveryLock()
        } catch {
            fail(error)
            return progress
        }
        defer { lock.withLock { $0?.release(); $0 = nil } }
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<configuration.concurrency {
                    group.addTask { await self.work(startingAt: worker) }
                }
            }
        } onCancel: {
            self.stop()
        }
        return progress
    }

    // MARK: Worker

    private func work(startingAt offset: Int) async {
        var turn = offset
        var idleSince: ContinuousClock.Instant?
        while !isStopping {
            let (inputFinished, destinations) = state.withLock { ($0.inputFinished, $0.destinations) }
            let lingered = idleSince.map { ContinuousClock.now - $0 >= configuration.linger } ?? false
            let minimum = inputFinished || lingered ? 1 : configuration.batch.maxCount
            var claimed: [OutboxEntry] = []
            var destination = ""
            do {
                for step in 0..<destinations.count where claimed.isEmpty {
                    destination = destinations[(turn + step) % destinations.count]
                    claimed = try await persistently {
                        try await outbox.claim(destination: destination, limits: configuration.batch, minimumCount: minimum)
                    }
                }
                if claimed.isEmpty, try await discoverDestinations(force: inputFinished) { continue }
            } catch {
                failOnOutbox(error)
                return
            }
            turn += 1
            if claimed.isEmpty {
                if inputFinished { return }
                if idleSince == nil { idleSince = .now }
                await sleep(configuration.pollInterval)
                continue
            }
            idleSince = nil
            do {
                try await deliver(claimed[...], destination: destination)
            } catch {
                outbox.release(claimed.map(\.id))
                failOnOutbox(error)
                return
            }
        }
    }

    /// Adds the pending destinations the transport can send to and that are not delivered yet;
    /// true when it found any. Looks at most every ``discoveryInterval`` unless `force`d.
    private func discoverDestinations(force: Bool) async throws -> Bool {
        let due = state.withLock { state in
            guard force || state.lastDiscovery.map({ ContinuousClock.now - $0 >= Self.discoveryInterval }) ?? true else { return false }
            state.lastDiscovery = .now
            return true
        }
        guard due else { return false }
        let pending = try await persistently { try await outbox.pendingDestinations() }
        return state.withLock { state in
            let new = pending.filter { !state.destinations.contains($0) && transport.canSend(to: $0) }
            state.destinations += new
            return !new.isEmpty
        }
    }

    /// Stops on an outbox error; a cancellation is a stop, not a failure.
    private func failOnOutbox(_ error: any Error) {
        if error is CancellationError || Task.isCancelled {
            stop()
        } else {
            fail(.outbox(OutboxError.describe(error)))
        }
    }

    /// Sends one batch until it is confirmed, dead-lettered (row by row), or handed back.
    private func deliver(_ batch: ArraySlice<OutboxEntry>, destination: String) async throws {
        var batch = batch
        var ids = batch.map(\.id)
        let start = ContinuousClock.now
        var attempts = 0
        while true {
            if isStopping {
                outbox.release(ids)
                return
            }
            await waitWhilePaused()
            if isStopping {
                outbox.release(ids)
                return
            }
            let held = try await persistently { try await outbox.reclaim(ids) }
            if held.count < ids.count {
                logger.warning("claims lapsed before sending; another sender has those events", metadata: [
                    "events": "\(ids.count - held.count)",
                ])
                batch = ArraySlice(batch.filter { held.contains($0.id) })
                ids = batch.map(\.id)
                if batch.isEmpty { return }
            }
            metrics.requests.increment()
            metrics.batchSize.record(batch.count)
            if attempts > 0 {
                state.withLock { $0.report.retried += batch.count }
                metrics.retried.increment(by: batch.count)
            }
            let outcome = await transport.send(batch, destination: destination)
            attempts += 1
            state.withLock { $0.report.requests += 1 }
            if case .retryable = outcome {} else { await noteAttempt(outcome, nextRetry: nil) }

            switch outcome {
            case .accepted(let receipt):
                try await persistently { try await outbox.confirm(ids) }
                state.withLock { $0.report.sent += batch.count }
                metrics.sent.increment(by: batch.count)
                onSettled?(DeliverySettlement(destination: destination, keys: batch.map(\.key), outcome: .delivered(receipt: receipt)))
                return

            case .retryable(let reason, let retryAfter):
                if let retryAfter { pause(for: retryAfter) }
                let delay = configuration.retry.delay(afterAttempt: attempts, elapsed: .now - start, retryAfter: retryAfter)
                await noteAttempt(outcome, nextRetry: delay)
                guard let delay else {
                    try await persistently { try await outbox.recordFailure(ids, reason: reason) }
                    outbox.release(ids)
                    fail(.unavailable("\(reason) (gave up after \(attempts) attempts)"))
                    return
                }
                try await persistently { try await outbox.recordFailure(ids, reason: reason) }
                logger.debug("retrying batch", metadata: [
                    "events": "\(batch.count)", "attempt": "\(attempts)", "reason": "\(reason)",
                    "delay_ms": "\(delay.nanoseconds / 1_000_000)",
                ])
                await sleep(delay)

            case .refused(let reason, let suspect):
                if batch.count == 1 {
                    try await persistently { try await outbox.deadLetter([(batch[batch.startIndex].id, reason)]) }
                    state.withLock { $0.report.deadLettered += 1 }
                    metrics.deadLettered.increment()
                    onSettled?(DeliverySettlement(
                        destination: destination, keys: [batch[batch.startIndex].key], outcome: .deadLettered(reason: reason)))
                    logger.warning("event refused, kept as a dead letter", metadata: [
                        "key": "\(batch[batch.startIndex].key)", "reason": "\(reason)",
                    ])
                    return
                }
                for part in Self.split(batch, around: suspect) {
                    try await deliver(part, destination: destination)
                }
                return

            case .unauthorized(let reason):
                outbox.release(ids)
                fail(.unauthorized(reason))
                return

            case .misconfigured(let reason):
                outbox.release(ids)
                fail(.misconfigured(reason))
                return
            }
        }
    }

    /// Splits a refused batch: around the row the destination named if it named one, else in halves.
    static func split(_ batch: ArraySlice<OutboxEntry>, around suspect: Int?) -> [ArraySlice<OutboxEntry>] {
        if let suspect, suspect >= 0, suspect < batch.count {
            let index = batch.startIndex + suspect
            return [batch[index...index], batch[..<index], batch[(index + 1)...]].filter { !$0.isEmpty }
        }
        let middle = batch.startIndex + batch.count / 2
        return [batch[..<middle], batch[middle...]]
    }

    // MARK: Coordination

    private var isStopping: Bool { state.withLock { $0.stopping } }

    private func fail(_ failure: DeliveryFailure) {
        let first = state.withLock { state -> Bool in
            state.stopping = true
            guard state.report.failure == nil else { return false }
            state.report.failure = failure
            return true
        }
        if first { logger.error("delivery stopped", metadata: ["reason": "\(failure)"]) }
    }

    /// Holds every worker back after a rate limit that named a wait.
    private func pause(for duration: Duration) {
        let until = ContinuousClock.now + duration
        state.withLock { state in
            if state.pausedUntil.map({ $0 < until }) ?? true { state.pausedUntil = until }
        }
    }

    private func waitWhilePaused() async {
        while let until = state.withLock({ $0.pausedUntil }), until > .now, !isStopping {
            await sleep(min(until - .now, .milliseconds(100)))
        }
    }

    /// Sleeps in short steps so that ``stop()`` is honoured promptly; cancellation stops.
    private func sleep(_ duration: Duration) async {
        let deadline = ContinuousClock.now + duration
        while !isStopping, ContinuousClock.now < deadline {
            do {
                try await Task.sleep(for: min(deadline - .now, .milliseconds(100)))
            } catch {
                stop()
                return
            }
        }
    }

    // MARK: Outages

    /// Calls the outbox, waiting out a database that is away (``OutboxError/isTransient``:
    /// restart, failover, lost connection) until it is back or delivery stops; says so once
    /// when it goes and once when it returns. Other errors are thrown at once.
    private func persistently<T>(_ call: () async throws -> T) async throws -> T {
        var wait = Duration.milliseconds(200)
        while true {
            do {
                let result = try await call()
                if let since = state.withLock({ state in defer { state.outboxAwaySince = nil }; return state.outboxAwaySince }) {
                    logger.notice("outbox reachable again", metadata: ["after_s": "\((ContinuousClock.now - since).components.seconds)"])
                }
                return result
            } catch let error as OutboxError where error.isTransient && !isStopping {
                let first = state.withLock { state in
                    defer { state.outboxAwaySince = state.outboxAwaySince ?? .now }
                    return state.outboxAwaySince == nil
                }
                if first { logger.warning("outbox unreachable; waiting for it", metadata: ["reason": "\(error)"]) }
                await sleep(wait)
                wait = min(wait * 2, .seconds(5))
            }
        }
    }

    /// Logs the first failed attempt after a success (a warning with the reason), then a line
    /// at most every ``Configuration/outageReportInterval`` while attempts fail, and the
    /// recovery once. A refused row is the destination working, not an outage.
    private func noteAttempt(_ outcome: TransportOutcome, nextRetry: Duration?) async {
        let now = ContinuousClock.now
        enum Line { case started(String), failing(String, Int, Duration), recovered(Int, Duration) }
        let line: Line? = state.withLock { state in
            switch outcome {
            case .accepted, .refused:
                guard state.outage.failing else { return nil }
                defer { state.outage = Outage() }
                return .recovered(state.outage.failedAttempts, now - state.outage.since)
            case .unauthorized, .misconfigured:
                return nil  // not an outage: delivery stops, and says why (``fail(_:)``)
            case .retryable(let reason, _):
                if !state.outage.failing {
                    state.outage = Outage(failing: true, since: now, lastReport: now, failedAttempts: 1)
                    return .started(reason)
                }
                state.outage.failedAttempts += 1
                guard now - state.outage.lastReport >= configuration.outageReportInterval else { return nil }
                state.outage.lastReport = now
                return .failing(reason, state.outage.failedAttempts, now - state.outage.since)
            }
        }
        switch line {
        case .started(let reason):
            logger.warning("delivery failing; retrying", metadata: ["reason": "\(reason)"])
        case .failing(let reason, let attempts, let elapsed):
            let waiting = (try? await outbox.counts().pending).map(String.init) ?? "unknown"
            logger.warning("delivery still failing", metadata: [
                "reason": "\(reason)", "failed_attempts": "\(attempts)", "failing_for_s": "\(elapsed.nanoseconds / 1_000_000_000)",
                "waiting_events": "\(waiting)",
                "next_retry_in_s": "\(nextRetry.map { String(format: "%.1f", Double($0.nanoseconds) / 1e9) } ?? "none: giving up")",
            ])
        case .recovered(let attempts, let elapsed):
            logger.notice("delivery recovered", metadata: [
                "failed_attempts": "\(attempts)", "after_s": "\(elapsed.nanoseconds / 1_000_000_000)",
            ])
        case nil:
            break
        }
    }
}
