import Delivery
@testable import OutboxSQLite
@testable import ConversionEngine
import ProcessTesting
import Foundation
import GRDB
import Testing

@Suite("Outbox")
struct OutboxTests {
    static let destination = "tiktok:set-1"

    private func withOutbox(_ body: (Outbox, TemporaryDirectory) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        try await body(try Outbox(path: directory.file("outbox.sqlite")), directory)
    }

    /// A confirmation commits without waiting for the disk; an enqueue after it must still wait,
    /// whatever level the writer was left at (here: as if restoring FULL had failed).
    @Test func anEnqueueAlwaysCommitsDurably() async throws {
        try await withOutbox { outbox, _ in
            try await outbox.enqueue(TestEvents.messages(0..<10), destination: Self.destination)
            let claimed = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 5))
            try await outbox.confirm(claimed.map(\.id))
            try await outbox.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            try await outbox.enqueue(TestEvents.messages(10..<20), destination: Self.destination)
            let level = try await outbox.pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
            #expect(level == 2, "FULL (2) after an enqueue, not NORMAL (1)")
        }
    }

    /// Every failure is an OutboxError in words; a damaged file stays refused for good.
    @Test func aDamagedFileIsRefusedAtOpenWithAnOutboxError() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("outbox.sqlite")
        try Data(repeating: 0x41, count: 8_192).write(to: URL(fileURLWithPath: path))
        #expect {
            try Outbox(path: path)
        } throws: { error in
            (error as? OutboxError)?.isDamaged == true && "\(error)".contains("damaged")
        }
        #expect(try await Outbox.check(path: path).isSound == false)
    }

    @Test func reEnqueuingTheSameKeysIsIdempotent() async throws {
        try await withOutbox { outbox, _ throws in
            let first = try await outbox.enqueue(TestEvents.messages(0..<10), destination: Self.destination)
            let again = try await outbox.enqueue(TestEvents.messages(5..<15), destination: Self.destination)
            #expect(first == EnqueueResult(inserted: 10, duplicates: 0))
            #expect(again == EnqueueResult(inserted: 5, duplicates: 5))
            #expect(try await outbox.counts().pending == 15)
            // The same key for another destination is a different message.
            try await outbox.enqueue(TestEvents.messages(0..<3), destination: "tiktok:set-2")
            #expect(try await outbox.counts().pending == 18)
        }
    }

    @Test(arguments: [(maxCount: 4, maxBytes: Int.max, expected: 4), (maxCount: 100, maxBytes: 1, expected: 1), (maxCount: 100, maxBytes: 2_000, expected: -1)])
    func claimRespectsCountAndByteLimits(maxCount: Int, maxBytes: Int, expected: Int) async throws {
        try await withOutbox { outbox, _ throws in
            let messages = TestEvents.messages(0..<10)
            try await outbox.enqueue(messages, destination: Self.destination)
            let claimed = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: maxCount, maxBytes: maxBytes))
            let fitting = expected >= 0 ? expected : Self.prefixFitting(messages.map(\.payload.count), within: maxBytes)
            #expect(claimed.count == fitting)
            #expect(claimed.map(\.key) == messages.prefix(fitting).map(\.key), "claims come in enqueue order")
            #expect(claimed.map(\.payload) == messages.prefix(fitting).map(\.payload))
        }
    }

    private static func prefixFitting(_ sizes: [Int], within limit: Int) -> Int {
        var total = 0
        for (index, size) in sizes.enumerated() {
            total += size
            if total > limit { return max(index, 1) }
        }
        return sizes.count
    }

    @Test func claimedMessagesAreNotClaimedTwiceAndConfirmRemovesThem() async throws {
        try await withOutbox { outbox, _ throws in
            try await outbox.enqueue(TestEvents.messages(0..<10), destination: Self.destination)
            let first = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 6))
            let second = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 6))
            #expect(first.count == 6 && second.count == 4)
            #expect(Set(first.map(\.id)).isDisjoint(with: second.map(\.id)))
            #expect(try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 6)).isEmpty)
            try await outbox.confirm(first.map(\.id))
            #expect(try await outbox.counts() == OutboxCounts(pending: 4, leased: 4, deadLetters: 0))
        }
    }

    @Test func minimumCountLeavesAPartialBatchUnclaimed() async throws {
        try await withOutbox { outbox, _ throws in
            try await outbox.enqueue(TestEvents.messages(0..<3), destination: Self.destination)
            #expect(try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 10), minimumCount: 10).isEmpty)
            let byteBound = OutboxBatchLimits(maxCount: 10, maxBytes: 1)
            #expect(try await outbox.claim(destination: Self.destination, limits: byteBound, minimumCount: 10).count == 1, "a batch full by bytes goes")
            #expect(try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 10)).count == 2)
        }
    }

    @Test func aClaimLostInACrashIsPendingAgainAfterReopening() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("outbox.sqlite")
        do {
            let outbox = try Outbox(path: path)
            try await outbox.enqueue(TestEvents.messages(0..<5), destination: Self.destination)
            #expect(try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 5)).count == 5)
            #expect(try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 5)).isEmpty, "claimed")
        }
        let reopened = try Outbox(path: path)
        let again = try await reopened.claim(destination: Self.destination, limits: .init(maxCount: 5))
        #expect(again.map(\.key) == TestEvents.messages(0..<5).map(\.key), "leases live only as long as the process")
    }

    @Test func releasedMessagesAreClaimedAgainInOrder() async throws {
        try await withOutbox { outbox, _ throws in
            try await outbox.enqueue(TestEvents.messages(0..<9), destination: Self.destination)
            let first = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 3))
            let second = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 3))
            outbox.release(first.map(\.id))
            try await outbox.confirm(second.map(\.id))
            let third = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 10))
            #expect(third.map(\.id) == first.map(\.id) + (try await outbox.pending(limit: 10)).map(\.id).filter { $0 > second.last!.id })
            #expect(third.count == 6)
            #expect(try await outbox.counts() == OutboxCounts(pending: 6, leased: 6, deadLetters: 0))
        }
    }

    @Test func destinationsAreClaimedSeparately() async throws {
        try await withOutbox { outbox, _ throws in
            for n in 0..<6 {
                try await outbox.enqueue(TestEvents.messages(n..<n + 1), destination: n.isMultiple(of: 2) ? "a" : "b")
            }
            let a = try await outbox.claim(destination: "a", limits: .init(maxCount: 10))
            let b = try await outbox.claim(destination: "b", limits: .init(maxCount: 10))
            #expect(a.map(\.key) == [0, 2, 4].map { TestEvents.messages($0..<$0 + 1)[0].key })
            #expect(b.map(\.key) == [1, 3, 5].map { TestEvents.messages($0..<$0 + 1)[0].key })
        }
    }

    @Test func failuresAreCountedAcrossClaims() async throws {
        try await withOutbox { outbox, _ throws in
            try await outbox.enqueue(TestEvents.messages(0..<1), destination: Self.destination)
            let claimed = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 1))
            try await outbox.recordFailure(claimed.map(\.id), reason: "HTTP 500")
            try await outbox.recordFailure(claimed.map(\.id), reason: "HTTP 500")
            outbox.release(claimed.map(\.id))
            #expect(try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 1)).first?.attempts == 2)
        }
    }

    @Test func deadLettersKeepTheReasonAndCanBeReplayedOrPurged() async throws {
        try await withOutbox { outbox, _ throws in
            let messages = TestEvents.messages(0..<4)
            try await outbox.enqueue(messages, destination: Self.destination)
            let claimed = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 4))
            try await outbox.deadLetter([(claimed[1].id, "TikTok 40002: bad email"), (claimed[3].id, "TikTok 40002: bad phone")])
            try await outbox.confirm([claimed[0].id, claimed[2].id])

            let letters = try await outbox.deadLetters()
            #expect(letters.map(\.reason) == ["TikTok 40002: bad email", "TikTok 40002: bad phone"])
            #expect(letters.map(\.key) == [messages[1].key, messages[3].key])
            #expect(letters.map(\.payload) == [messages[1].payload, messages[3].payload])
            #expect(letters.allSatisfy { $0.destination == Self.destination && $0.attempts == 1 })
            #expect(try await outbox.counts() == OutboxCounts(pending: 0, leased: 0, deadLetters: 2))

            #expect(try await outbox.replayDeadLetters(ids: [letters[0].id]) == 1)
            let replayed = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 10))
            #expect(replayed.map(\.key) == [messages[1].key])
            #expect(replayed.first?.attempts == 0)

            #expect(try await outbox.purgeDeadLetters() == 1)
            #expect(try await outbox.counts().deadLetters == 0)
        }
    }

    @Test func aPartlyConfirmedBatchKeepsOnlyItsUnconfirmedMessagesAcrossRestarts() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("outbox.sqlite")
        let messages = TestEvents.messages(0..<10)
        do {
            let outbox = try Outbox(path: path)
            try await outbox.enqueue(messages, destination: Self.destination)
            let claimed = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 10))
            try await outbox.confirm(claimed.indices.filter { $0 % 3 == 0 }.map { claimed[$0].id })
            try await outbox.deadLetter([(claimed[1].id, "refused")])
        }
        let reopened = try Outbox(path: path)
        let again = try await reopened.claim(destination: Self.destination, limits: .init(maxCount: 10))
        let expected = messages.indices.filter { $0 % 3 != 0 && $0 != 1 }.map { messages[$0].key }
        #expect(again.map(\.key) == expected)
        #expect(try await reopened.counts() == OutboxCounts(pending: expected.count, leased: expected.count, deadLetters: 1))
        // Confirmed keys may be queued again; the dead letter's too.
        #expect(try await reopened.enqueue([messages[0], messages[1], messages[2]], destination: Self.destination) == EnqueueResult(inserted: 2, duplicates: 1))
        try await reopened.confirm(again.map(\.id))
        #expect(try await reopened.counts().pending == 2)
    }

    @Test func aLargeEnqueueIsStoredAsSeveralBatchesInOrder() async throws {
        try await withOutbox { outbox, _ throws in
            let messages = (0..<9_000).map { OutboxMessage(key: "k-\($0)", payload: Array("{\"n\":\($0)}".utf8)) }
            #expect(try await outbox.enqueue(messages, destination: Self.destination) == EnqueueResult(inserted: 9_000, duplicates: 0))
            var claimed: [OutboxEntry] = []
            while case let batch = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 1_000)), !batch.isEmpty {
                claimed += batch
            }
            #expect(claimed.map(\.key) == messages.map(\.key))
            #expect(claimed.map(\.payload) == messages.map(\.payload))
            #expect(claimed.map(\.id) == claimed.map(\.id).sorted() && Set(claimed.map(\.id)).count == 9_000)
            try await outbox.confirm(claimed.map(\.id))
            #expect(try await outbox.counts() == OutboxCounts(pending: 0, leased: 0, deadLetters: 0))
        }
    }

    @Test func anOutboxWrittenOneRowPerMessageKeepsItsPendingEvents() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("outbox.sqlite")
        let messages = TestEvents.messages(0..<5)
        // The first version's layout, as an older build left it.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: """
                CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                INSERT INTO grdb_migrations VALUES ('v1');
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, destination TEXT NOT NULL, key TEXT NOT NULL,
                    payload BLOB NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
                    enqueued_at REAL NOT NULL, UNIQUE (destination, key));
                CREATE TABLE dead_letters (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, destination TEXT NOT NULL, key TEXT NOT NULL,
                    payload BLOB NOT NULL, reason TEXT NOT NULL, attempts INTEGER NOT NULL,
                    enqueued_at REAL NOT NULL, failed_at REAL NOT NULL);
                """)
            for (n, message) in messages.enumerated() {
                try db.execute(
                    sql: "INSERT INTO outbox (destination, key, payload, attempts, enqueued_at) VALUES (?, ?, ?, ?, 0)",
                    arguments: [n == 3 ? "b" : Self.destination, message.key, Data(message.payload), n == 1 ? 2 : 0])
            }
        }
        try queue.close()
        let outbox = try Outbox(path: path)
        #expect(try await outbox.counts() == OutboxCounts(pending: 5, leased: 0, deadLetters: 0))
        let claimed = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 10))
        #expect(claimed.map(\.key) == [0, 1, 2, 4].map { messages[$0].key })
        #expect(claimed.map(\.payload) == [0, 1, 2, 4].map { messages[$0].payload })
        #expect(claimed.map(\.attempts) == [0, 2, 0, 0])
        #expect(try await outbox.claim(destination: "b", limits: .init(maxCount: 10)).map(\.key) == [messages[3].key])
        #expect(try await outbox.enqueue([messages[0]], destination: Self.destination).duplicates == 1, "keys still pending")
    }

    @Test func anOutboxWithTextKeysKeepsItsPendingKeys() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("outbox.sqlite")
        let messages = TestEvents.messages(0..<6)
        do {
            let outbox = try Outbox(path: path)
            try await outbox.enqueue(messages, destination: Self.destination)
            let claimed = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 2))
            try await outbox.confirm(claimed.map(\.id))
        }
        // Back to the layout of the version before (keys as text, one row per pending key), as
        // an older build would have left this file.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: """
                CREATE TABLE outbox_keys (destination TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (destination, key)) WITHOUT ROWID;
                DELETE FROM grdb_migrations WHERE identifier LIKE 'v3%' OR identifier LIKE 'v4%';
                """)
            for message in messages[2...] {
                try db.execute(sql: "INSERT INTO outbox_keys VALUES (?, ?)", arguments: [Self.destination, message.key])
            }
        }
        try queue.close()
        let outbox = try Outbox(path: path)
        #expect(try await outbox.counts().pending == 4)
        let again = try await outbox.enqueue(messages, destination: Self.destination)
        #expect(again == EnqueueResult(inserted: 2, duplicates: 4), "the confirmed two are new again; the pending four are not")
        let claimed = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 10))
        try await outbox.confirm(claimed.map(\.id))
        #expect(try await outbox.enqueue(messages, destination: Self.destination).inserted == 6, "confirming frees the keys")
    }

    /// Keys are found through a 64-bit hash; one that shares its hash with a pending key (made
    /// here by pointing its hash at another message) is still stored, never taken for a duplicate.
    @Test func aKeyWhoseHashIsTakenIsStillStored() async throws {
        try await withOutbox { outbox, _ throws in
            let messages = TestEvents.messages(0..<2)
            try await outbox.enqueue([messages[0]], destination: Self.destination)
            let ids = try outbox.pool.write { db in
                var keys = PendingKeyIndex()
                try keys.catchUp(db)
                let pending = try #require(keys.candidate(for: PendingKeyHash.of(destination: Self.destination, key: messages[0].key)))
                keys.stored(hash: PendingKeyHash.of(destination: Self.destination, key: messages[1].key), message: pending)
                return try Outbox.store([messages[1]], destination: Self.destination, enqueuedAt: 0, keys: &keys, db)
            }
            #expect(ids.count == 1 && ids[0] != nil, "stored, not taken for the message its hash pointed at")
            #expect(try await outbox.enqueue([messages[1]], destination: Self.destination).duplicates == 1)
            let claimed = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 10))
            #expect(claimed.map(\.key) == messages.map(\.key))
            try await outbox.confirm(claimed.map(\.id))
            #expect(try await outbox.counts().pending == 0)
        }
    }

    /// Each process keeps its own index of pending keys: keys another process stored count as
    /// pending here, and keys it confirmed are free here again.
    @Test func keysStoredOrConfirmedByAnotherProcessAreSeen() async throws {
        try await withOutbox { outbox, directory throws in
            let other = try Outbox(path: directory.file("outbox.sqlite"))
            let messages = TestEvents.messages(0..<6)
            #expect(try await outbox.enqueue(Array(messages[0..<4]), destination: Self.destination) == EnqueueResult(inserted: 4, duplicates: 0))
            #expect(try await other.enqueue(messages, destination: Self.destination) == EnqueueResult(inserted: 2, duplicates: 4))
            #expect(try await outbox.enqueue(messages, destination: Self.destination) == EnqueueResult(inserted: 0, duplicates: 6))
            let claimed = try await other.claim(destination: Self.destination, limits: .init(maxCount: 3))
            try await other.confirm(claimed.map(\.id))
            #expect(try await outbox.enqueue(messages, destination: Self.destination) == EnqueueResult(inserted: 3, duplicates: 3),
                    "the three confirmed elsewhere are new again")
            #expect(try await other.counts().pending == 6)
        }
    }

    /// A transaction that fails takes back the batch ids it used: the index forgets what it
    /// stored, or it would skip the batch another process then stores under the same id.
    @Test func aFailedTransactionLeavesNoKeysBehind() async throws {
        struct Abandoned: Error {}
        try await withOutbox { outbox, directory throws in
            let other = try Outbox(path: directory.file("outbox.sqlite"))
            let messages = TestEvents.messages(0..<2)
            await #expect(throws: (any Error).self) {
                try await outbox.write { db in
                    _ = try outbox.store([messages[0]], destination: Self.destination, enqueuedAt: 0, db)
                    throw Abandoned()
                }
            }
            #expect(outbox.indexedPendingKeys == 0)
            #expect(try await other.enqueue([messages[1]], destination: Self.destination).inserted == 1)
            #expect(try await outbox.enqueue(messages, destination: Self.destination) == EnqueueResult(inserted: 1, duplicates: 1))
        }
    }

    /// Keys that another process settled stay in an index until it is rebuilt, which it is once
    /// it holds twice what its last build found: memory follows what is pending.
    @Test func anIndexForgetsKeysSettledElsewhereWhenRebuilt() async throws {
        try await withOutbox { outbox, directory throws in
            let other = try Outbox(path: directory.file("outbox.sqlite"), configuration: .init(synchronousCommits: false))
            let total = PendingKeyIndex.minimumRebuildSize + 1_000
            let messages = (0..<total).map { OutboxMessage(key: "e-\($0)", payload: Array("{}".utf8)) }
            for start in stride(from: 0, to: total, by: 4_000) {
                try await outbox.enqueue(Array(messages[start..<min(start + 4_000, total)]), destination: Self.destination)
            }
            while case let claimed = try await other.claim(destination: Self.destination, limits: .init(maxCount: 4_000)), !claimed.isEmpty {
                try await other.confirm(claimed.map(\.id))
            }
            #expect(outbox.indexedPendingKeys == total, "this process has not looked since")
            #expect(try await outbox.enqueue([OutboxMessage(key: "new", payload: Array("{}".utf8))], destination: Self.destination).inserted == 1)
            #expect(outbox.indexedPendingKeys == 1)
            #expect(try await outbox.enqueue(Array(messages[0..<10]), destination: Self.destination).inserted == 10)
        }
    }

    /// Keys are compared byte for byte: canonically equivalent Unicode spellings are different
    /// event ids to TikTok, and both are stored.
    @Test func keysAreComparedByteForByte() async throws {
        try await withOutbox { outbox, _ throws in
            let composed = OutboxMessage(key: "CompletePayment/caf\u{E9}", payload: Array("{}".utf8))
            let decomposed = OutboxMessage(key: "CompletePayment/cafe\u{301}", payload: Array("{}".utf8))
            #expect(try await outbox.enqueue([composed, decomposed, composed], destination: Self.destination)
                == EnqueueResult(inserted: 2, duplicates: 1))
            #expect(try await outbox.enqueue([decomposed], destination: Self.destination).duplicates == 1)
        }
    }

    @Test(arguments: [
        (destination: "tiktok:set-1", key: "CompletePayment/e-1", hash: Int64(1_741_503_804_852_325_161)),
        (destination: "", key: "", hash: Int64(-5_808_391_946_409_677_970)),
    ])
    func pendingKeyHashesAreStableAcrossVersions(destination: String, key: String, hash: Int64) {
        // Version 3 kept these hashes in outbox files: the function stays FNV-1a.
        #expect(PendingKeyHash.of(destination: destination, key: key) == hash)
        #expect(PendingKeyHash.of(destination: "ab", key: "c") != PendingKeyHash.of(destination: "a", key: "bc"))
    }
}
