/// What the engine needs of an outbox: a durable queue of outgoing messages per destination,
/// with claims, confirmations, dead letters and counts. ``Outbox`` (one SQLite file) is the
/// embedded store; any other must keep the same promises, which `OutboxContract` (the
/// `OutboxTesting` library) checks: run its checks against your store in your tests.
///
/// Implementation requirements:
/// - **Accepted means stored.** When ``enqueue(_:destination:)`` returns, its messages survive a
///   crash of the process; a message leaves only through ``confirm(_:)`` or ``deadLetter(_:)``.
/// - **Idempotent.** Enqueuing a message whose key is pending for the same destination is a
///   no-op, counted as a duplicate.
/// - **Claims in order.** ``claim(destination:limits:minimumCount:)`` hands out pending messages
///   in enqueue order and does not hand one out again until it is confirmed, dead-lettered,
///   released, or its claim lapses (a store shared by processes gives claims a deadline).
/// - **Errors are ``OutboxError``s**, worded for people; nothing thrown or logged holds a payload.
public protocol OutboxStore: Sendable {
    /// Where the messages live, for messages to people (a file path, a database URL without its password).
    var location: String { get }

    /// Set once the store is found damaged: every later call throws it. Nil while sound.
    var damageFound: OutboxError? { get }

    /// Stores `messages` for `destination` in one transaction; when it returns they are accepted.
    @discardableResult
    func enqueue(_ messages: [OutboxMessage], destination: String) async throws -> EnqueueResult

    /// Claims up to `limits` of the oldest pending messages for `destination`; none unless at
    /// least `minimumCount` are available (so a caller can wait for a fuller batch).
    func claim(destination: String, limits: OutboxBatchLimits, minimumCount: Int) async throws -> [OutboxEntry]

    /// Renews the claims on `ids` just before they are sent and returns those this process still
    /// holds. A claim that lapsed (the process stalled past its deadline) may be another
    /// sender's now: its messages must not be sent from here. Default: every id (claims that
    /// never lapse, as in a store only one process delivers from).
    func reclaim(_ ids: [Int64]) async throws -> Set<Int64>

    /// The destination took these claimed messages: they are gone.
    func confirm(_ ids: [Int64]) async throws

    /// A delivery attempt failed; counted on each message (it stays claimed).
    func recordFailure(_ ids: [Int64], reason: String) async throws

    /// Gives claimed messages back, to be claimed again.
    func release(_ ids: [Int64])

    /// The destination refused these claimed messages: kept as dead letters with the reason.
    func deadLetter(_ refusals: [(id: Int64, reason: String)]) async throws

    /// Pending (claimed included) and dead-lettered messages, for one destination or all.
    func counts(destination: String?) async throws -> OutboxCounts

    /// Looks for damage without changing anything, and counts what the store holds.
    func check() async throws -> OutboxCheck

    /// Dead letters after `id`, oldest first, for one destination or all.
    func deadLetters(destination: String?, limit: Int, after id: Int64) async throws -> [DeadLetter]

    /// Puts dead letters back among the pending messages (all when `ids` is nil) with a fresh
    /// attempt count; returns how many were moved. One whose key is pending again is dropped as
    /// a duplicate.
    @discardableResult
    func replayDeadLetters(ids: [Int64]?) async throws -> Int

    /// Deletes dead letters for good (all when `ids` is nil); returns how many.
    @discardableResult
    func purgeDeadLetters(ids: [Int64]?) async throws -> Int

    /// The destinations that have pending messages.
    func pendingDestinations() async throws -> [String]

    /// Takes the right to deliver from this store, held until the returned lock is released.
    /// A store that only one process may deliver from throws ``DeliveryFailure/busy(_:)`` when
    /// another holds it; a store with per-message claims that lapse may let any number deliver.
    func lockForDelivery() throws(DeliveryFailure) -> any OutboxDeliveryLock

    /// Gives back what this process holds and disconnects; call it before the process exits.
    /// Default: nothing to do.
    func close() async
}

extension OutboxStore {
    public func claim(destination: String, limits: OutboxBatchLimits) async throws -> [OutboxEntry] {
        try await claim(destination: destination, limits: limits, minimumCount: 1)
    }

    public func counts() async throws -> OutboxCounts { try await counts(destination: nil) }

    public func reclaim(_ ids: [Int64]) async throws -> Set<Int64> { Set(ids) }

    public func deadLetters(limit: Int = 100) async throws -> [DeadLetter] {
        try await deadLetters(destination: nil, limit: limit, after: 0)
    }

    public func close() async {}
}

/// The right to deliver from an ``OutboxStore``, until ``release()``.
public protocol OutboxDeliveryLock: Sendable {
    func release()
}

/// Bounds on one claimed batch.
public struct OutboxBatchLimits: Sendable, Hashable {
    public var maxCount: Int
    /// Sum of payload sizes; a single larger message is still claimed alone.
    public var maxBytes: Int

    public init(maxCount: Int, maxBytes: Int = .max) {
        precondition(maxCount > 0 && maxBytes > 0, "batch limits must be positive")
        self.maxCount = maxCount
        self.maxBytes = maxBytes
    }
}

/// What ``OutboxStore/check()`` found.
public struct OutboxCheck: Sendable, Hashable {
    /// The check found nothing wrong.
    public var isSound: Bool { problems.isEmpty }
    /// What the check found, in the store's words, at most 20.
    public var problems: [String]
    /// Pending messages and dead letters, when they could be counted.
    public var pending: Int?
    public var deadLetters: Int?
    /// Stored batches (SQLite rows of up to a few thousand messages each), when they could be
    /// counted; nil for a store that keeps one row per message.
    public var batches: Int?

    public init(problems: [String], pending: Int?, deadLetters: Int?, batches: Int?) {
        self.problems = problems
        self.pending = pending
        self.deadLetters = deadLetters
        self.batches = batches
    }
}

