import Delivery
import Foundation
import OutboxPostgres
import OutboxSQLite
import OutboxTesting
import ProcessTesting
import Synchronization
import Testing

/// The promises every ``OutboxStore`` keeps (``OutboxContract``), checked on each store: the
/// SQLite file, PostgreSQL and the in-memory store; then what only a store shared by processes
/// promises. PostgreSQL comes from `TIKTOK_OFFLINE_TEST_POSTGRES` (a server URL;
/// `scripts/test.sh` starts a throwaway one); without it these tests fail, never pass silently.
@Suite("Outbox contract", .timeLimit(.minutes(2)))
struct OutboxContractTests {
    enum Store: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case sqlite, postgres, memory
        var testDescription: String { rawValue }
    }

    static let destination = "tiktok:set-1"

    /// A fresh, empty store of `kind`; its `close()` disconnects it.
    static func open(_ kind: Store, in directory: TemporaryDirectory, name: String) async throws -> any OutboxStore {
        switch kind {
        case .sqlite: try Outbox(path: directory.file("\(name).sqlite"))
        case .postgres: try await PostgresOutbox(url: try await TestDatabase.fresh(directory: directory))
        case .memory: InMemoryOutbox()
        }
    }

    @Test(arguments: Store.allCases, OutboxContract.checks)
    func keepsThePromise(_ kind: Store, _ check: OutboxContract.Check) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let opened = Counter()
        try await check.run {
            try await Self.open(kind, in: directory, name: "outbox-\(opened.next())")
        }
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

/// Numbers the stores one check opens.
final class Counter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}
