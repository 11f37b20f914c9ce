import Delivery
import Foundation
import OutboxPostgres
import OutboxSQLite
import ProcessTesting
import Testing

/// The promises every ``OutboxStore`` keeps, checked on each store: the SQLite file and
/// PostgreSQL. PostgreSQL comes from `TIKTOK_OFFLINE_TEST_POSTGRES` (a server URL;
/// `scripts/test.sh` starts a throwaway one); without it these tests fail, never pass silently.
@Suite("Outbox contract", .timeLimit(.minutes(2)))
struct OutboxContractTests {
    enum Store: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    static let destination = "tiktok:set-1"

    /// A fresh, empty store of `kind`; `close` disconnects it.
    static func open(_ kind: Store, in directory: TemporaryDirectory, name: String = "outbox") async throws -> (any OutboxStore, close: () async -> Void) {
        switch kind {
        case .sqlite:
            return (try Outbox(path: directory.file("\(name).sqlite")), {})
        case .postgres:
            let outbox = try await PostgresOutbox(url: try await TestDatabase.fresh(directory: directory))
            return (outbox, { await outbox.close() })
        }
    }

    @Test(arguments: Store.allCases)
    func enqueueIsIdempotentPerDestinationAndKey(_ kind: Store) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let (outbox, close) = try await Self.open(kind, in: directory)
        #expect(try await outbox.enqueue(TestEvents.messages(0..<5), destination: Self.destination) == .init(inserted: 5, duplicates: 0))
        #expect(try await outbox.enqueue(TestEvents.messages(3..<8), destination: Self.destination) == .init(inserted: 3, duplicates: 2))
        #expect(try await outbox.enqueue(TestEvents.messages(0..<2), destination: "tiktok:other") == .init(inserted: 2, duplicates: 0))
        #expect(try await outbox.counts(destination: Self.destination).pending == 8)
        #expect(try await outbox.counts().pending == 10)
        #expect(try await outbox.pendingDestinations() == ["tiktok:other", Self.destination].sorted())
        await close()
    }

    @Test(arguments: Store.allCases)
    func claimsComeInOrderOnceUntilReleased(_ kind: Store) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let (outbox, close) = try await Self.open(kind, in: directory)
        let messages = TestEvents.messages(0..<10)
        try await outbox.enqueue(messages, destination: Self.destination)
        let first = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 4))
        #expect(first.map(\.key) == messages[0..<4].map(\.key))
        #expect(first.map(\.payload) == messages[0..<4].map(\.payload))
        let second = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 4))
        #expect(second.map(\.key) == messages[4..<8].map(\.key), "claimed messages are not claimed again")
        #expect(try await outbox.counts() == .init(pending: 10, leased: 8, deadLetters: 0))
        #expect(try await outbox.reclaim(first.map(\.id)) == Set(first.map(\.id)), "fresh claims are still held")
        #expect(try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 4), minimumCount: 3).isEmpty,
                "fewer than the minimum available: none")
        outbox.release(first.map(\.id))
        try await waitUntil {
            try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 10)).map(\.key).contains(first[0].key)
        }
        await close()
    }

    @Test(arguments: Store.allCases)
    func confirmedLeaveAndRefusedBecomeDeadLetters(_ kind: Store) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let (outbox, close) = try await Self.open(kind, in: directory)
        try await outbox.enqueue(TestEvents.messages(0..<6), destination: Self.destination)
        let claimed = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 6))
        try await outbox.recordFailure([claimed[0].id], reason: "HTTP 503")
        try await outbox.confirm(claimed[0..<4].map(\.id))
        try await outbox.deadLetter([(claimed[4].id, "TikTok 40002: bad email")])
        let counts = try await outbox.counts()
        #expect(counts.pending == 1 && counts.deadLetters == 1)
        outbox.release([claimed[5].id])
        try await waitUntil { try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 5)).count == 1 }
        #expect(try await outbox.enqueue(TestEvents.messages(0..<1), destination: Self.destination).inserted == 1,
                "a confirmed key may be stored again")
        await close()
    }

    @Test(arguments: Store.allCases)
    func deadLettersAreListedReplayedAndPurged(_ kind: Store) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let (outbox, close) = try await Self.open(kind, in: directory)
        let messages = TestEvents.messages(0..<5)
        try await outbox.enqueue(messages, destination: Self.destination)
        let claimed = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 5))
        try await outbox.recordFailure(claimed.map(\.id), reason: "HTTP 500")
        try await outbox.deadLetter(claimed.map { ($0.id, "TikTok 40002: data[0] bad \($0.key)") })
        #expect(try await outbox.counts() == .init(pending: 0, leased: 0, deadLetters: 5))

        let letters = try await outbox.deadLetters(destination: nil, limit: 10, after: 0)
        #expect(letters.map(\.key) == messages.map(\.key), "oldest first")
        // Attempts count the refused one too: one failure, then the refusal.
        #expect(letters.map(\.payload) == messages.map(\.payload))
        #expect(letters.allSatisfy { $0.destination == Self.destination && $0.attempts == 2 && $0.reason.hasSuffix($0.key) })
        #expect(abs(letters[0].failedAt.timeIntervalSinceNow) < 60)
        #expect(try await outbox.deadLetters(destination: nil, limit: 2, after: letters[1].id).map(\.key) == messages[2..<4].map(\.key))
        #expect(try await outbox.deadLetters(destination: "tiktok:other", limit: 10, after: 0).isEmpty)

        try await outbox.enqueue([messages[1]], destination: Self.destination)
        #expect(try await outbox.replayDeadLetters(ids: [letters[0].id, letters[1].id]) == 2, "moved; the pending duplicate is dropped")
        #expect(try await outbox.counts() == .init(pending: 2, leased: 0, deadLetters: 3))
        let replayed = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 10))
        #expect(Set(replayed.map(\.key)) == Set(messages[0..<2].map(\.key)))
        #expect(replayed.allSatisfy { $0.attempts == 0 }, "a replayed letter starts afresh")

        #expect(try await outbox.purgeDeadLetters(ids: [letters[2].id]) == 1)
        #expect(try await outbox.purgeDeadLetters(ids: nil) == 2)
        let check = try await outbox.check()
        #expect(check.isSound && check.pending == 2 && check.deadLetters == 0, "\(check)")
        await close()
    }

    @Test(arguments: Store.allCases)
    func aBatchStaysWithinItsByteLimitButTakesAnOversizedMessageAlone(_ kind: Store) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let (outbox, close) = try await Self.open(kind, in: directory)
        let messages = TestEvents.messages(0..<6)
        try await outbox.enqueue(messages, destination: Self.destination)
        let size = messages[0].payload.count
        let batch = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 10, maxBytes: size * 2 + size / 2))
        #expect(batch.count == 2)
        let alone = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 10, maxBytes: 1))
        #expect(alone.count == 1 && alone[0].key == messages[2].key)
        await close()
    }

    // MARK: Shared by processes (PostgreSQL)

    /// Two workers on one database never hold the same event; a worker that vanishes without
    /// giving its claims back loses them when the lease lapses, and another sends them.
    @Test func workersClaimDisjointlyAndALapsedLeaseReturnsItsEvents() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let url = try await TestDatabase.fresh(directory: directory)
        let lease = PostgresOutbox.Configuration(leaseDuration: .seconds(60))
        let shortLease = PostgresOutbox.Configuration(leaseDuration: .milliseconds(600))
        let a = try await PostgresOutbox(url: url, configuration: lease)
        let b = try await PostgresOutbox(url: url, configuration: lease)
        try await a.enqueue(TestEvents.messages(0..<100), destination: Self.destination)
        async let fromA = a.claim(destination: Self.destination, limits: .init(maxCount: 60))
        async let fromB = b.claim(destination: Self.destination, limits: .init(maxCount: 60))
        let (claimedA, claimedB) = try await (fromA, fromB)
        #expect(Set(claimedA.map(\.id)).isDisjoint(with: claimedB.map(\.id)))
        #expect(claimedA.count + claimedB.count == 100)
        #expect(try await a.counts().leased == 100)

        await b.close()   // gives its claims back at once
        let c = try await PostgresOutbox(url: url, configuration: lease)
        let afterClose = try await c.claim(destination: Self.destination, limits: .init(maxCount: 100))
        #expect(Set(afterClose.map(\.id)) == Set(claimedB.map(\.id)))

        // `c` stalls past its deadline (its lease is made to lapse): `a` takes the events, and
        // `c`, waking, finds it no longer holds them and must not send them.
        let stalled = afterClose.prefix(10).map(\.id)
        let psql = try ToolProcess([url, "-c", "UPDATE outbox_messages SET lease_until = now() - interval '1 second' WHERE id IN (\(stalled.map(String.init).joined(separator: ",")))"],
                                   in: directory, name: "lapse", executable: "/usr/bin/psql")
        #expect(await psql.wait() == 0, "\(psql.stderr)")
        let taken = try await a.claim(destination: Self.destination, limits: .init(maxCount: 100))
        #expect(Set(taken.map(\.id)) == Set(stalled))
        #expect(try await c.reclaim(afterClose.map(\.id)) == Set(afterClose.dropFirst(10).map(\.id)))

        // `a` dies without a word: simulated by stopping its renewals and never confirming.
        let vanished = try await PostgresOutbox(url: url, configuration: shortLease)
        try await vanished.enqueue(TestEvents.messages(100..<110), destination: "tiktok:lapse")
        let held = try await vanished.claim(destination: "tiktok:lapse", limits: .init(maxCount: 10))
        await vanished.abandon()
        try await waitUntil(timeout: .seconds(10)) {
            try await c.claim(destination: "tiktok:lapse", limits: .init(maxCount: 10)).count == held.count
        }
        await a.close()
        await c.close()
    }

    /// A database that does not answer (here: a table locked by another session) fails a call
    /// within the query timeout as unreachable, instead of holding the caller forever; and the
    /// rows a claim leased after its caller stopped waiting are given back, not held for a lease.
    @Test func aCallTheDatabaseDoesNotAnswerFailsInTimeAndALateClaimIsGivenBack() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let url = try await TestDatabase.fresh(directory: directory)
        let other = try await PostgresOutbox(url: url)
        try await other.enqueue(TestEvents.messages(0..<10), destination: Self.destination)
        let patient = try await PostgresOutbox(url: url + "&query_timeout_seconds=1")

        // The lock holds until the test ends it, so the call cannot have waited it out.
        let locker = try ToolProcess(
            [url, "-c", "BEGIN; LOCK TABLE outbox_messages IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(600); COMMIT"],
            in: directory, name: "lock", executable: "/usr/bin/psql")
        try await waitForOne(
            "SELECT count(*) FROM pg_locks WHERE \(Self.thisDatabase) AND relation = 'outbox_messages'::regclass AND mode = 'AccessExclusiveLock' AND granted",
            url: url, directory: directory)
        do {
            _ = try await patient.claim(destination: Self.destination, limits: .init(maxCount: 10))
            Issue.record("a claim on a locked table returned")
        } catch let error as OutboxError {
            #expect(error.kind == .unreachable && error.isTransient, "\(error)")
            #expect(error.description.contains("did not answer"), "\(error)")
        }
        let release = try ToolProcess(
            [url, "-c", "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE \(Self.thisDatabase) AND relation = 'outbox_messages'::regclass AND mode = 'AccessExclusiveLock' AND granted"],
            in: directory, name: "unlock", executable: "/usr/bin/psql")
        #expect(await release.wait() == 0, "\(release.stderr)")
        _ = await locker.wait()

        // The claim ran once the lock went; its rows come back to the pool within moments.
        var taken = Set<Int64>()
        try await waitUntil(timeout: .seconds(20)) {
            for entry in try await other.claim(destination: Self.destination, limits: .init(maxCount: 10)) { taken.insert(entry.id) }
            return taken.count == 10
        }
        await patient.close()
        await other.close()
    }

    /// Waits until `query`, run by psql, answers 1.
    private func waitForOne(_ query: String, url: String, directory: TemporaryDirectory) async throws {
        try await waitUntil(timeout: .seconds(30)) {
            let probe = try ToolProcess(
                [url, "-At", "-c", query], in: directory, name: "probe-\(UUID().uuidString.prefix(4))", executable: "/usr/bin/psql")
            _ = await probe.wait()
            return probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "1"
        }
    }

    /// Locks held in this test's database only (tests run side by side, each in a database whose
    /// tables may have the same oids).
    static let thisDatabase = "database = (SELECT oid FROM pg_database WHERE datname = current_database())"

    /// Calls given up on at their deadline can hold every connection the pool may open (a query
    /// its connection lost holds one for good; here: updates waiting on rows another session
    /// keeps locked). The outbox then opens new connections instead of failing every later call.
    @Test func aPoolWhoseEveryConnectionIsStuckIsReplaced() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let url = try await TestDatabase.fresh(directory: directory)
        let outbox = try await PostgresOutbox(url: url, configuration: .init(maxConnections: 2, queryTimeout: .seconds(2)))
        try await outbox.enqueue(TestEvents.messages(0..<10), destination: Self.destination)
        let ids = try await outbox.claim(destination: Self.destination, limits: .init(maxCount: 10)).map(\.id)
        #expect(ids.count == 10)

        let locker = try ToolProcess(
            [url, "-c", "BEGIN; SELECT id FROM outbox_messages FOR UPDATE; SELECT pg_sleep(600); COMMIT"],
            in: directory, name: "lock", executable: "/usr/bin/psql")
        try await waitForOne(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(600)%' AND state = 'active' AND pid <> pg_backend_pid()",
            url: url, directory: directory)
        // Two updates wait on the locked rows past their deadline, one on each connection.
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    do {
                        try await outbox.recordFailure(ids, reason: "test")
                        Issue.record("an update of locked rows returned")
                    } catch {
                        #expect((error as? OutboxError)?.kind == .unreachable, "\(error)")
                    }
                }
            }
        }
        // Nothing waits on the lock for a count: it is answered, on new connections.
        let counts = try await outbox.counts(destination: Self.destination)
        #expect(counts.pending == 10)

        let release = try ToolProcess(
            [url, "-c", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()"],
            in: directory, name: "unlock", executable: "/usr/bin/psql")
        #expect(await release.wait() == 0, "\(release.stderr)")
        _ = await locker.wait()
        await outbox.close()
    }
}

/// A database of its own for each test, on the server `TIKTOK_OFFLINE_TEST_POSTGRES` names.
enum TestDatabase {
    static func fresh(directory: TemporaryDirectory) async throws -> String {
        guard let server = ProcessInfo.processInfo.environment["TIKTOK_OFFLINE_TEST_POSTGRES"], !server.isEmpty else {
            throw ToolError("no PostgreSQL for the tests: set TIKTOK_OFFLINE_TEST_POSTGRES to a server URL, or run scripts/test.sh, which starts a throwaway one")
        }
        let name = "outbox_test_" + UUID().uuidString.prefix(8).lowercased()
        let psql = try ToolProcess([server, "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE \(name)"],
                                   in: directory, name: "psql-\(name)", executable: "/usr/bin/psql")
        guard await psql.wait() == 0 else { throw ToolError("cannot create a test database: \(psql.stderr)") }
        guard var components = URLComponents(string: server) else { throw ToolError("TIKTOK_OFFLINE_TEST_POSTGRES is not a URL") }
        components.path = "/" + name
        components.query = "sslmode=disable"
        return components.string!
    }
}
