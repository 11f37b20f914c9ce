import Foundation

/// One event ready to leave: its idempotency key and the exact bytes the destination will receive.
///
/// The outbox stores only what will be sent (already normalized and hashed), never a raw event.
/// Enqueuing a message whose key is already waiting for the same destination is a no-op, so
/// re-reading an input after a crash does not queue an event twice.
public struct OutboxMessage: Sendable, Hashable {
    /// Stable across runs for the same event (e.g. the event's name and id).
    public var key: String
    /// The serialized element as it goes on the wire.
    public var payload: [UInt8]

    public init(key: String, payload: [UInt8]) {
        self.key = key
        self.payload = payload
    }
}

/// A message claimed from the outbox for sending.
public struct OutboxEntry: Sendable, Hashable, Identifiable {
    /// The row id; pass it back to `confirm`, `release` or `deadLetter`.
    public var id: Int64
    public var key: String
    public var payload: [UInt8]
    /// Failed delivery attempts recorded so far (survives restarts).
    public var attempts: Int

    public init(id: Int64, key: String, payload: [UInt8], attempts: Int) {
        self.id = id
        self.key = key
        self.payload = payload
        self.attempts = attempts
    }
}

/// A message the destination refused, kept with the destination's reason until replayed or purged.
public struct DeadLetter: Sendable, Hashable, Identifiable {
    public var id: Int64
    public var destination: String
    public var key: String
    public var payload: [UInt8]
    public var reason: String
    public var attempts: Int
    public var failedAt: Date

    public init(id: Int64, destination: String, key: String, payload: [UInt8], reason: String, attempts: Int, failedAt: Date) {
        self.id = id
        self.destination = destination
        self.key = key
        self.payload = payload
        self.reason = reason
        self.attempts = attempts
        self.failedAt = failedAt
    }
}

/// How many messages the outbox holds.
public struct OutboxCounts: Sendable, Hashable {
    /// Waiting to be sent, including those claimed by a sender right now.
    public var pending: Int
    /// Claimed by a sender whose lease has not expired.
    public var leased: Int
    public var deadLetters: Int

    public init(pending: Int, leased: Int, deadLetters: Int) {
        self.pending = pending
        self.leased = leased
        self.deadLetters = deadLetters
    }
}

/// What one `enqueue` call did.
public struct EnqueueResult: Sendable, Hashable {
    public var inserted: Int
    /// Messages whose key was already waiting for that destination.
    public var duplicates: Int

    public init(inserted: Int, duplicates: Int) {
        self.inserted = inserted
        self.duplicates = duplicates
    }
}
