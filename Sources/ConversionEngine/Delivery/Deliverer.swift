import Foundation
import Logging
import Synchronization

/// Drains an ``Outbox`` through a ``BatchTransport``: batches, bounded concurrency, retries,
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
/// One deliverer per outbox file at a time: ``run()`` holds a lock file next to the outbox
/// (`<outbox>.deliver-lock`) and fails at once if another process holds it.
public final class Deliverer: Sendable {
    public struct Configuration: Sendable {
        public var batch: Outbox.BatchLimits
        /// Requests in flight at once.
        public var concurrency: Int
        public var retry: RetryPolicy
        /// While input is still arriving, how long a partly filled batch may wait to fill up.
        public var linger: Duration
        /// How often an idle worker looks for new events.
        public var pollInterval: Duration

        public init(
            batch: Outbox.BatchLimits = .init(maxCount: 1_000, maxBytes: 4 << 20),
            concurrency: Int = 4,
            retry: RetryPolicy = .init(),
            linger: Duration = .milliseconds(50),
            pollInterval: Duration = .milliseconds(10)
        ) {
            precondition(concurrency >= 1, "at least one request in flight")
            self.batch = batch
            self.concurrency = concurrency
            self.retry = retry
            self.linger = linger
            self.pollInterval = pollInterval
        }
    }

    private struct State: Sendable {
        var report = DeliveryReport()
        var inputFinished = false
        var stopping = false
        var pausedUntil: ContinuousClock.Instant?
    }

    public let outbox: Outbox
    public let destinations: [String]
    public let configuration: Configuration
    private let transport: any BatchTransport
    private let logger: Logger
    private let metrics = DeliveryMetrics()
    private let state = Mutex(State())

    /// - Parameter destinations: the outbox destination keys this deliverer may send to (the
    ///   transport must know each of them).
    public init(
        outbox: Outbox,
        transport: any BatchTransport,
        destinations: [String],
        configuration: Configuration = .init(),
        logger: Logger = Logger(label: "delivery")
    ) {
        self.outbox = outbox
        self.transport = transport
        self.destinations = destinations
        self.configuration = configuration
        self.logger = logger
    }

    /// Totals so far (for progress display).
    public var progress: DeliveryReport { state.withLock { $0.report } }

    /// No more events will be enqueued: ``run()`` returns once the outbox is empty.
    public func finishInput() { state.withLock { $0.inputFinished = true } }

    /// Stop claiming, finish the requests in flight, and return from ``run()``.
    public func stop() { state.withLock { $0.stopping = true } }

    /// Delivers until the outbox is empty after ``finishInput()``, until ``stop()``, or until a failure.
    /// Events not delivered stay pending in the outbox; the report's `failure` says why it stopped early.
    public func run() async -> DeliveryReport {
        guard let lock = DeliveryLock(outboxPath: outbox.path) else {
            fail(.outbox("another process is delivering from \(outbox.path)"))
            return progress
        }
        defer { lock.unlock() }
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<configuration.concurrency {
                group.addTask { await self.work(startingAt: worker) }
            }
        }
        return progress
    }

    // MARK: Worker

    private func work(startingAt offset: Int) async {
        var turn = offset
        var idleSince: ContinuousClock.Instant?
        while !isStopping {
            let inputFinished = state.withLock { $0.inputFinished }
            let lingered = idleSince.map { ContinuousClock.now - $0 >= configuration.linger } ?? false
            let minimum = inputFinished || lingered ? 1 : configuration.batch.maxCount
            var claimed: [OutboxEntry] = []
            var destination = ""
            do {
                for step in 0..<destinations.count where claimed.isEmpty {
                    destination = destinations[(turn + step) % destinations.count]
                    claimed = try await outbox.claim(destination: destination, limits: configuration.batch, minimumCount: minimum)
                }
            } catch {
                fail(.outbox("\(error)"))
                return
            }
            turn += 1
            if claimed.isEmpty {
                if inputFinished { return }
                if idleSince == nil { idleSince = .now }
                try? await Task.sleep(for: configuration.pollInterval)
                continue
            }
            idleSince = nil
            do {
                try await deliver(claimed[...], destination: destination)
            } catch {
                fail(.outbox("\(error)"))
                outbox.release(claimed.map(\.id))
                return
            }
        }
    }

    /// Sends one batch until it is confirmed, dead-lettered (row by row), or handed back.
    private func deliver(_ batch: ArraySlice<OutboxEntry>, destination: String) async throws {
        let ids = batch.map(\.id)
        let start = ContinuousClock.now
        var attempts = 0
        while true {
            if isStopping {
                outbox.release(ids)
                return
            }
            await waitWhilePaused()
            metrics.requests.increment()
            metrics.batchSize.record(batch.count)
            let outcome = await transport.send(batch, destination: destination)
            attempts += 1
            state.withLock { $0.report.requests += 1 }

            switch outcome {
            case .accepted:
                try await outbox.confirm(ids)
                state.withLock { $0.report.sent += batch.count }
                metrics.sent.increment(by: batch.count)
                return

            case .retryable(let reason, let retryAfter):
                if let retryAfter { pause(for: retryAfter) }
                guard let delay = configuration.retry.delay(
                    afterAttempt: attempts, elapsed: .now - start, retryAfter: retryAfter
                ) else {
                    try await outbox.recordFailure(ids, reason: reason)
                    outbox.release(ids)
                    fail(.unavailable("\(reason) (gave up after \(attempts) attempts)"))
                    return
                }
                try await outbox.recordFailure(ids, reason: reason)
                state.withLock { $0.report.retried += batch.count }
                metrics.retried.increment(by: batch.count)
                logger.debug("retrying batch", metadata: [
                    "events": "\(batch.count)", "attempt": "\(attempts)", "reason": "\(reason)",
                    "delay_ms": "\(delay.nanoseconds / 1_000_000)",
                ])
                await sleep(delay)

            case .refused(let reason, let suspect):
                if batch.count == 1 {
                    try await outbox.deadLetter([(batch[batch.startIndex].id, reason)])
                    state.withLock { $0.report.deadLettered += 1 }
                    metrics.deadLettered.increment()
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

    /// Sleeps in short steps so that ``stop()`` is honoured promptly.
    private func sleep(_ duration: Duration) async {
        let deadline = ContinuousClock.now + duration
        while !isStopping, ContinuousClock.now < deadline {
            try? await Task.sleep(for: min(deadline - .now, .milliseconds(100)))
        }
    }
}
