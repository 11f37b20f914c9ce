import ServiceLifecycle
import Synchronization

/// Group commit for live sources: many small submissions (HTTP requests of one or a few
/// events) are processed together, one pipeline run and one outbox transaction for all of them,
/// and each submitter gets back only its own results.
///
/// ```
/// request ─┐                      ┌─▶ request's records (numbered as it numbered them)
/// request ─┼─▶ queue ──▶ worker ×N ──▶ Ingest.process ─┤
/// request ─┘   (bounded)          └─▶ …
/// ```
///
/// A submission returns once its events are processed, so with an outbox sink everything it
/// reports ``Outcome/sent`` is committed. Run the queue as a ServiceLifecycle `Service`: on
/// graceful shutdown it refuses new submissions (``IngestQueueError/shuttingDown``), finishes
/// every one already queued, and returns; cancellation fails the queued ones instead.
public final class IngestQueue: Service {
    public struct Configuration: Sendable {
        /// Most events processed together.
        public var maxBatchEvents: Int
        /// Batches processed at once: one fills while another waits for its commit.
        public var workers: Int
        /// Most events waiting; past it submissions fail with ``IngestQueueError/overloaded``.
        public var maxQueuedEvents: Int

        public init(maxBatchEvents: Int = 1_000, workers: Int = 4, maxQueuedEvents: Int = 50_000) {
            precondition(maxBatchEvents > 0 && workers > 0 && maxQueuedEvents > 0, "limits must be positive")
            self.maxBatchEvents = maxBatchEvents
            self.workers = workers
            self.maxQueuedEvents = maxQueuedEvents
        }
    }

    /// Writes a record's trace after a stage: the live debug view's per-stage lines.
    public typealias RecordTracer = @Sendable (_ record: Record, _ stage: String) -> String

    private struct Submission {
        var events: RawEvents
        var continuation: CheckedContinuation<IngestedBatch, any Error>
    }

    private struct State {
        var queue: [Submission] = []
        var queuedEvents = 0
        var accepting = false
        var finishing = false
        var idleWorkers: [CheckedContinuation<Void, Never>] = []
        /// The error that stopped the last batch, and when; nil once a batch gets through.
        var lastFailure: (error: any Error, at: ContinuousClock.Instant)?
    }

    public let configuration: Configuration
    private let current: Mutex<Ingest>
    private let tracer: @Sendable (Engine, _ records: Int) -> RecordTracer?
    private let state = Mutex(State())

    /// - Parameter tracer: asked before each batch, with the engine it goes through and its
    ///   number of events; when it
    ///   returns a writer, every record's trace after every stage is collected into
    ///   ``IngestedBatch/traces``.
    public init(ingest: Ingest, configuration: Configuration = .init(), tracer: @escaping @Sendable (Engine, _ records: Int) -> RecordTracer? = { _, _ in nil }) {
        self.current = Mutex(ingest)
        self.configuration = configuration
        self.tracer = tracer
    }

    /// The ingest batches go through now.
    public var ingest: Ingest { current.withLock { $0 } }

    /// Batches taken from now on go through `ingest` (a reloaded configuration); those in progress finish on the old one.
    public func replace(_ ingest: Ingest) { current.withLock { $0 = ingest } }

    /// Processes `events` with whatever else is waiting and returns its own records, numbered
    /// as `events` numbered them. Throws ``IngestQueueError`` when the queue does not take
    /// them, or the error that stopped their batch (nothing of it counts as accepted then).
    public func submit(_ events: RawEvents) async throws -> IngestedBatch {
        if events.isEmpty { return IngestedBatch() }
        return try await withCheckedThrowingContinuation { continuation in
            let refusal: IngestQueueError? = state.withLock { state in
                guard state.accepting else { return .shuttingDown }
                guard state.queuedEvents + events.count <= configuration.maxQueuedEvents || state.queue.isEmpty else {
                    return .overloaded
                }
                state.queue.append(Submission(events: events, continuation: continuation))
                state.queuedEvents += events.count
                if !state.idleWorkers.isEmpty { state.idleWorkers.removeFirst().resume() }
                return nil
            }
            if let refusal { continuation.resume(throwing: refusal) }
        }
    }

    /// Events waiting to be processed.
    public var queuedEvents: Int { state.withLock { $0.queuedEvents } }

    /// The error that stopped the latest batch (the outbox could not be written: a full disk,
    /// a lost database), if it came within `window` and no batch has got through since. A
    /// service is not ready while it holds; after `window` without traffic it is tried again.
    public func recentFailure(within window: Duration) -> (any Error)? {
        state.withLock { state in
            guard let failure = state.lastFailure, ContinuousClock.now - failure.at < window else { return nil }
            return failure.error
        }
    }

    /// Takes submissions until graceful shutdown (then drains) or cancellation (then fails what waits).
    public func run() async throws {
        state.withLock { $0.accepting = true }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<configuration.workers { group.addTask { await self.work() } }
                }
            } onGracefulShutdown: {
                self.finish()
            }
        } onCancel: {
            self.finish()
        }
        let abandoned = state.withLock { state in
            defer { state.queue.removeAll() }
            return state.queue
        }
        for submission in abandoned { submission.continuation.resume(throwing: IngestQueueError.shuttingDown) }
    }

    /// Stops taking submissions; workers return once the queue is empty.
    private func finish() {
        let idle = state.withLock { state in
            state.accepting = false
            state.finishing = true
            defer { state.idleWorkers.removeAll() }
            return state.idleWorkers
        }
        idle.forEach { $0.resume() }
    }

    private func work() async {
        while true {
            if let taken = state.withLock({ takeLocked(&$0) }) {
                await process(taken)
                continue
            }
            if state.withLock({ $0.finishing }) { return }
            await withCheckedContinuation { (parked: CheckedContinuation<Void, Never>) in
                let wakeNow = state.withLock { state in
                    if !state.queue.isEmpty || state.finishing { return true }
                    state.idleWorkers.append(parked)
                    return false
                }
                if wakeNow { parked.resume() }
            }
        }
    }

    /// Submissions for one batch, oldest first, up to the batch size (at least one).
    private func takeLocked(_ state: inout State) -> [Submission]? {
        guard !state.queue.isEmpty else { return nil }
        var count = 0
        var end = 0
        while end < state.queue.count, end == 0 || count + state.queue[end].events.count <= configuration.maxBatchEvents {
            count += state.queue[end].events.count
            end += 1
        }
        let taken = Array(state.queue[..<end])
        state.queue.removeFirst(end)
        state.queuedEvents -= count
        return taken
    }

    /// One pipeline run for all of `submissions`, its results handed back to each.
    private func process(_ submissions: [Submission]) async {
        var combined = RawEvents()
        var numbers: [(range: Range<Int>, original: [Int])] = []
        for submission in submissions {
            let range = combined.append(submission.events, numberingFrom: (numbers.last?.range.upperBound ?? 1))
            numbers.append((range, submission.events.entries.map(\.number)))
        }
        let ingest = self.ingest
        let tracer = tracer(ingest.engine, combined.count)
        var traces: [[String]] = []
        do {
            var result: IngestedBatch
            if let tracer {
                var seen = 0
                var wasPending: [Bool] = []
                result = try await ingest.process(combined) { stage, batch in
                    if seen == 0 {
                        seen = batch.count
                        traces = Array(repeating: [], count: seen)
                        wasPending = Array(repeating: true, count: seen)
                    }
                    for (i, record) in batch.records.enumerated() where wasPending[i] {
                        traces[i].append(tracer(record, stage))
                        wasPending[i] = record.isPending
                    }
                }
            } else {
                result = try await ingest.process(combined)
            }
            var records = result.batch.records[...]
            var errors = result.eventErrors[...]
            var traced = traces[...]
            for (submission, (range, original)) in zip(submissions, numbers) {
                var own = IngestedBatch()
                own.totals.received = submission.events.count
                while let first = records.first, range.contains(first.line) {
                    var record = records.removeFirst()
                    record.line = original[record.line - range.lowerBound]
                    switch record.outcome {
                    case .sent: own.totals.accepted += 1
                    case .skipped: own.totals.skipped += 1
                    case .rejected, .pending: own.totals.rejected += 1
                    }
                    own.batch.append(record)
                    if let trace = traced.popFirst() { own.traces.append(trace) }
                }
                while let first = errors.first, range.contains(first.line) {
                    var error = errors.removeFirst()
                    error.line = original[error.line - range.lowerBound]
                    own.eventErrors.append(error)
                }
                own.totals.records = own.batch.count
                own.totals.badLines = own.eventErrors.count
                own.totals.unmapped = Ingest.Totals.unmapped(
                    received: own.totals.received, errors: own.eventErrors.count, recordLines: own.batch.records.lazy.map(\.line))
                submission.continuation.resume(returning: own)
            }
            state.withLock { $0.lastFailure = nil }
        } catch {
            state.withLock { $0.lastFailure = (error, .now) }
            for submission in submissions { submission.continuation.resume(throwing: error) }
        }
    }
}

/// Why ``IngestQueue/submit(_:)`` did not take a submission.
public enum IngestQueueError: Error, Sendable, CustomStringConvertible {
    /// The queue is stopping (or not started): nothing was stored.
    case shuttingDown
    /// Too many events are waiting: nothing was stored; try again shortly.
    case overloaded

    public var description: String {
        switch self {
        case .shuttingDown: "the service is shutting down"
        case .overloaded: "too many events are waiting to be stored; try again shortly"
        }
    }
}
