import Delivery
import Foundation

/// The promises of ``OutboxStore`` as checks any store runs against itself, the way a
/// `LogHandler` is tested against swift-log's expectations: ``OutboxSQLite``'s file, the
/// PostgreSQL outbox and ``InMemoryOutbox`` all pass the same list.
///
/// Each check opens fresh, empty stores with the function it is given, works through one
/// promise (idempotent enqueue, claims in order and once, confirmations and dead letters,
/// replay and purge, batch limits), closes them, and throws an ``OutboxContractViolation``
/// naming what did not hold. It needs no test framework; with Swift Testing:
///
/// ```swift
/// @Test(arguments: OutboxContract.checks)
/// func keepsTheOutboxContract(_ check: OutboxContract.Check) async throws {
///     try await check.run { try MyStore(path: temporaryFile()) }
/// }
/// ```
public enum OutboxContract {
    /// Every check, in a stable order.
    public static let checks: [Check] = [
        Check("enqueue is idempotent per destination and key", enqueueIsIdempotentPerDestinationAndKey),
        Check("claims come in order, once, until released", claimsComeInOrderOnceUntilReleased),
        Check("confirmed messages leave, refused ones become dead letters", confirmedLeaveAndRefusedBecomeDeadLetters),
        Check("dead letters are listed, replayed and purged", deadLettersAreListedReplayedAndPurged),
        Check("a batch keeps its byte limit but takes an oversized message alone", aBatchKeepsItsByteLimit),
    ]

    /// Opens a fresh, empty store; the check closes it (``OutboxStore/close()``).
    public typealias Open = @Sendable () async throws -> any OutboxStore

    /// One promise, checked on stores that `open` makes.
    public struct Check: Sendable, CustomStringConvertible {
        public let name: String
        let body: @Sendable (Open) async throws -> Void

        init(_ name: String, _ body: @escaping @Sendable (Open) async throws -> Void) {
            self.name = name
            self.body = body
        }

        public var description: String { name }

        /// Runs the check; throws ``OutboxContractViolation`` when the store breaks the promise
        /// (and whatever the store throws when it fails a call).
        public func run(_ open: @escaping Open) async throws {
            try await body(open)
        }
    }

    /// The destination the checks store under; ``otherDestination`` shows they are kept apart.
    public static let destination = "contract:one"
    public static let otherDestination = "contract:other"

    /// Messages numbered by `range`, each a small JSON object of the same size, with keys
    /// `message-N`.
    public static func messages(_ range: Range<Int>) -> [OutboxMessage] {
        range.map { n in
            let number = String(n)
            let padded = String(repeating: "0", count: max(0, 8 - number.count)) + number
            return OutboxMessage(key: "message-\(n)", payload: Array(#"{"event":"Contract","event_id":"message-\#(padded)","value":1.5}"#.utf8))
        }
    }

    // MARK: The checks

    static func enqueueIsIdempotentPerDestinationAndKey(_ open: Open) async throws {
        let outbox = try await open()
        try await expect(try await outbox.enqueue(messages(0..<5), destination: destination) == .init(inserted: 5, duplicates: 0),
                         "5 new messages are all inserted")
        try await expect(try await outbox.enqueue(messages(3..<8), destination: destination) == .init(inserted: 3, duplicates: 2),
                         "keys already pending count as duplicates")
        try await expect(try await outbox.enqueue(messages(0..<2), destination: otherDestination) == .init(inserted: 2, duplicates: 0),
                         "the same keys for another destination are new")
        try await expect(try await outbox.counts(destination: destination).pending == 8, "8 pending for the destination")
        try await expect(try await outbox.counts().pending == 10, "10 pending in all")
        try await expect(try await outbox.pendingDestinations() == [destination, otherDestination].sorted(),
                         "both destinations are pending, sorted")
        await outbox.close()
    }

    static func claimsComeInOrderOnceUntilReleased(_ open: Open) async throws {
        let outbox = try await open()
        let all = messages(0..<10)
        try await outbox.enqueue(all, destination: destination)
        let first = try await outbox.claim(destination: destination, limits: .init(maxCount: 4))
        try await expect(first.map(\.key) == all[0..<4].map(\.key), "the oldest 4 are claimed first, in order")
        try await expect(first.map(\.payload) == all[0..<4].map(\.payload), "claims carry the stored bytes")
        let second = try await outbox.claim(destination: destination, limits: .init(maxCount: 4))
        try await expect(second.map(\.key) == all[4..<8].map(\.key), "claimed messages are not claimed again")
        try await expect(try await outbox.counts() == .init(pending: 10, leased: 8, deadLetters: 0), "claimed messages count as pending and leased")
        try await expect(try await outbox.reclaim(first.map(\.id)) == Set(first.map(\.id)), "fresh claims are still held")
        try await expect(try await outbox.claim(destination: destination, limits: .init(maxCount: 4), minimumCount: 3).isEmpty,
                         "fewer than the minimum available: none")
        outbox.release(first.map(\.id))
        try await eventually("released messages can be claimed again") {
            try await outbox.claim(destination: destination, limits: .init(maxCount: 10)).map(\.key).contains(first[0].key)
        }
        await outbox.close()
    }

    static func confirmedLeaveAndRefusedBecomeDeadLetters(_ open: Open) async throws {
        let outbox = try await open()
        try await outbox.enqueue(messages(0..<6), destination: destination)
        let claimed = try await outbox.claim(destination: destination, limits: .init(maxCount: 6))
        try await expect(claimed.count == 6, "all 6 are claimed")
        try await outbox.recordFailure([claimed[0].id], reason: "HTTP 503")
        try await outbox.confirm(claimed[0..<4].map(\.id))
        try await outbox.deadLetter([(claimed[4].id, "refused: bad email")])
        let counts = try await outbox.counts()
        try await expect(counts.pending == 1 && counts.deadLetters == 1, "confirmed messages leave, the refused one is a dead letter: \(counts)")
        outbox.release([claimed[5].id])
        try await eventually("the released message is claimed again") {
            try await outbox.claim(destination: destination, limits: .init(maxCount: 5)).count == 1
        }
        try await expect(try await outbox.enqueue(messages(0..<1), destination: destination).inserted == 1,
                         "a confirmed key may be stored again")
        await outbox.close()
    }

    static func deadLettersAreListedReplayedAndPurged(_ open: Open) async throws {
        let outbox = try await open()
        let all = messages(0..<5)
        try await outbox.enqueue(all, destination: destination)
        let claimed = try await outbox.claim(destination: destination, limits: .init(maxCount: 5))
        try await outbox.recordFailure(claimed.map(\.id), reason: "HTTP 500")
        try await outbox.deadLetter(claimed.map { ($0.id, "refused: data[0] bad \($0.key)") })
        try await expect(try await outbox.counts() == .init(pending: 0, leased: 0, deadLetters: 5), "all 5 are dead letters")

        let letters = try await outbox.deadLetters(destination: nil, limit: 10, after: 0)
        try await expect(letters.map(\.key) == all.map(\.key), "dead letters are listed oldest first")
        try await expect(letters.map(\.payload) == all.map(\.payload), "dead letters keep the stored bytes")
        try await expect(letters.allSatisfy { $0.destination == destination && $0.attempts == 2 && $0.reason.hasSuffix($0.key) },
                         "each letter keeps its destination, its reason, and counts the refusal as an attempt")
        try await expect(abs(letters[0].failedAt.timeIntervalSinceNow) < 60, "the time of the refusal is kept")
        try await expect(try await outbox.deadLetters(destination: nil, limit: 2, after: letters[1].id).map(\.key) == all[2..<4].map(\.key),
                         "pages follow the last id seen")
        try await expect(try await outbox.deadLetters(destination: otherDestination, limit: 10, after: 0).isEmpty,
                         "another destination has no dead letters")

        try await outbox.enqueue([all[1]], destination: destination)
        try await expect(try await outbox.replayDeadLetters(ids: [letters[0].id, letters[1].id]) == 2, "both are moved; the pending duplicate is dropped")
        try await expect(try await outbox.counts() == .init(pending: 2, leased: 0, deadLetters: 3), "2 pending and 3 letters after the replay")
        let replayed = try await outbox.claim(destination: destination, limits: .init(maxCount: 10))
        try await expect(Set(replayed.map(\.key)) == Set(all[0..<2].map(\.key)), "the replayed messages are pending again")
        try await expect(replayed.allSatisfy { $0.attempts == 0 }, "a replayed letter starts afresh")

        try await expect(try await outbox.purgeDeadLetters(ids: [letters[2].id]) == 1, "one letter is purged by id")
        try await expect(try await outbox.purgeDeadLetters(ids: nil) == 2, "the rest are purged")
        let check = try await outbox.check()
        try await expect(check.isSound && check.pending == 2 && check.deadLetters == 0, "the check counts what is left: \(check)")
        await outbox.close()
    }

    static func aBatchKeepsItsByteLimit(_ open: Open) async throws {
        let outbox = try await open()
        let all = messages(0..<6)
        try await outbox.enqueue(all, destination: destination)
        let size = all[0].payload.count
        let batch = try await outbox.claim(destination: destination, limits: .init(maxCount: 10, maxBytes: size * 2 + size / 2))
        try await expect(batch.count == 2, "2½ messages' worth of bytes holds 2 messages, not \(batch.count)")
        let alone = try await outbox.claim(destination: destination, limits: .init(maxCount: 10, maxBytes: 1))
        try await expect(alone.count == 1 && alone.first?.key == all[2].key, "a message over the limit is claimed alone")
        await outbox.close()
    }

    // MARK: Support

    private static func expect(
        _ condition: @autoclosure () async throws -> Bool, _ promise: @autoclosure () -> String,
        file: StaticString = #fileID, line: UInt = #line
    ) async throws {
        guard try await condition() else { throw OutboxContractViolation(promise: promise(), file: file, line: line) }
    }

    /// Stores shared by processes may hand released messages out again a moment later.
    private static func eventually(
        _ promise: @autoclosure () -> String, within timeout: Duration = .seconds(30),
        file: StaticString = #fileID, line: UInt = #line, _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw OutboxContractViolation(promise: promise(), file: file, line: line) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// A promise of ``OutboxStore`` that a store did not keep, in words.
public struct OutboxContractViolation: Error, Sendable, CustomStringConvertible {
    public var promise: String
    public var file: String
    public var line: UInt

    init(promise: String, file: StaticString, line: UInt) {
        self.promise = promise
        self.file = "\(file)"
        self.line = line
    }

    public var description: String { "the outbox contract does not hold: \(promise) (\(file):\(line))" }
}
