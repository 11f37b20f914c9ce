import Delivery
import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import Synchronization

/// The outbox in PostgreSQL, shared by any number of processes on any number of hosts.
///
/// Claims are leases in the database: a claimed row carries this worker's id and a deadline,
/// taken with `FOR UPDATE SKIP LOCKED` in acceptance order per destination, so two workers never
/// hold the same event. The worker renews its leases while it holds them and gives them back on
/// ``release(_:)`` and ``close()``; a lease that lapses (worker killed, host gone) returns its
/// events to the pool, and they are sent again under the same key (the destination deduplicates).
/// Enqueue is idempotent through a unique index on (destination, key). The schema is created on
/// first use under an advisory lock, so processes that start together take turns.
///
/// ```swift
/// let outbox = try await PostgresOutbox(url: "postgres://app@db.internal/events")
/// defer { Task { await outbox.close() } }
/// ```
public final class PostgresOutbox: OutboxStore {
    public struct Configuration: Sendable {
        /// How long a claim holds without renewal; renewed every third of it while held.
        public var leaseDuration: Duration
        /// Most connections this process opens.
        public var maxConnections: Int
        /// How long a call waits for the database before it fails as unreachable (and a deliverer
        /// tries again). A call never waits longer, even on a query its connection lost.
        public var queryTimeout: Duration

        public init(leaseDuration: Duration = .seconds(60), maxConnections: Int = 8, queryTimeout: Duration = .seconds(30)) {
            self.leaseDuration = leaseDuration
            self.maxConnections = maxConnections
            self.queryTimeout = queryTimeout
        }
    }

    /// The URL without its password.
    public let location: String
    /// This process's name on the leases it takes.
    public let workerID: String
    public let configuration: Configuration
    public var damageFound: OutboxError? { nil }

    /// The connection pool now in use; replaced when every connection is stuck (see ``run``).
    private let pool: Mutex<ConnectionPool>
    /// What a replacement pool is made from.
    private let clientConfiguration: PostgresClient.Configuration
    private let logger: Logger
    private let held = Mutex(Set<Int64>())
    private let pendingReleases = Mutex<[Task<Void, Never>]>([])
    private let renewal = Mutex<Task<Void, Never>?>(nil)
    private let connectionWatch: ConnectionWatch
    private static let schemaLock: Int64 = 0x7469_6b74_6f6b_0001

    /// Connects to the database at `url` (`postgres://` or `postgresql://`; user, password, host,
    /// port and database may also come from `PGUSER`, `PGPASSWORD`, `PGHOST`, `PGPORT`,
    /// `PGDATABASE`; `?sslmode=disable|prefer|require`, default prefer; `?lease_seconds=N` and
    /// `?query_timeout_seconds=N` override ``Configuration/leaseDuration`` and
    /// ``Configuration/queryTimeout``) and creates or migrates the schema. Throws
    /// ``OutboxError`` (kind `.unreachable` when the server cannot be reached).
    /// `logger` says when the server becomes unreachable (a connection attempt fails) and when
    /// it is reachable again; the connection pool's own lines stay quiet.
    public init(
        url: String, configuration: Configuration = .init(), environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = Logger(label: "tiktok-offline.outbox")
    ) async throws {
        var configuration = configuration
        let parameters = URLComponents(string: url)?.queryItems ?? []
        func seconds(_ name: String) -> Duration? {
            guard let seconds = parameters.first(where: { $0.name == name })?.value.flatMap(Double.init), seconds > 0 else { return nil }
            return .milliseconds(Int(seconds * 1000))
        }
        configuration.leaseDuration = seconds("lease_seconds") ?? configuration.leaseDuration
        configuration.queryTimeout = seconds("query_timeout_seconds") ?? configuration.queryTimeout
        let (clientConfiguration, probe, location) = try Self.clientConfiguration(url: url, environment: environment, configuration: configuration)
        try await Self.connectOnce(probe, location: location, patience: max(configuration.queryTimeout, .seconds(60)), logger: logger)
        self.location = location
        self.clientConfiguration = clientConfiguration
        self.logger = logger
        self.configuration = configuration
        self.workerID = "\(ProcessInfo.processInfo.hostName)/\(getpid())/\(UUID().uuidString.prefix(8))"
        let watch = ConnectionWatch(logger: logger, location: location)
        connectionWatch = watch
        pool = Mutex(ConnectionPool(configuration: clientConfiguration, watch: watch))
        do {
            try await migrate()
        } catch {
            pool.withLock { $0.shutDown() }
            throw describe(error)
        }
        let every = configuration.leaseDuration / 3
        renewal.withLock { task in
            task = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: every)
                    await self?.renewLeases()
                }
            }
        }
    }

    /// Gives back every lease this process holds and disconnects.
    public func close() async {
        renewal.withLock { $0?.cancel() }
        for task in pendingReleases.withLock({ $0 }) { await task.value }
        let ids = held.withLock { ids in
            defer { ids.removeAll() }
            return Array(ids)
        }
        if !ids.isEmpty { try? await giveBack(ids) }
        pool.withLock { $0.shutDown() }
    }

    /// Disconnects without giving anything back, as a killed process would: its leases lapse
    /// on their own (for tests of what other workers then do).
    public func abandon() async {
        renewal.withLock { $0?.cancel() }
        held.withLock { $0.removeAll() }
        pool.withLock { $0.shutDown() }
    }

    // MARK: Schema

    /// Creates or migrates the schema. It may wait for other processes doing the same, so it
    /// waits for at least a minute, whatever ``Configuration/queryTimeout`` says.
    private func migrate() async throws {
        try await run(limit: max(configuration.queryTimeout, .seconds(60))) { [self] in
            try await client.withConnection { connection in
                _ = try await connection.query("SELECT pg_advisory_lock(\(Self.schemaLock))", logger: Self.logger)
                do {
                    for statement in Self.schema { _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: Self.logger) }
                } catch {
                    _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.schemaLock))", logger: Self.logger)
                    throw error
                }
                _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.schemaLock))", logger: Self.logger)
            }
        }
    }

    static let schema = [
        """
        CREATE TABLE IF NOT EXISTS outbox_messages (
            id bigserial PRIMARY KEY,
            destination text NOT NULL,
            key text NOT NULL,
            payload bytea NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            last_error text,
            enqueued_at timestamptz NOT NULL DEFAULT now(),
            lease_owner text,
            lease_until timestamptz
        )
        """,
        "CREATE UNIQUE INDEX IF NOT EXISTS outbox_messages_destination_key ON outbox_messages (destination, key)",
        "CREATE INDEX IF NOT EXISTS outbox_messages_claimable ON outbox_messages (destination, id)",
        """
        CREATE TABLE IF NOT EXISTS outbox_dead_letters (
            id bigserial PRIMARY KEY,
            destination text NOT NULL,
            key text NOT NULL,
            payload bytea NOT NULL,
            reason text NOT NULL,
            attempts integer NOT NULL,
            failed_at timestamptz NOT NULL DEFAULT now()
        )
        """,
    ]

    // MARK: OutboxStore

    @discardableResult
    public func enqueue(_ messages: [OutboxMessage], destination: String) async throws -> EnqueueResult {
        guard !messages.isEmpty else { return EnqueueResult(inserted: 0, duplicates: 0) }
        let keys = messages.map(\.key)
        let payloads = messages.map { ByteBuffer(bytes: $0.payload) }
        return try await run { [self] in
            let rows = try await client.query("""
                INSERT INTO outbox_messages (destination, key, payload)
                SELECT \(destination), k, p FROM unnest(\(keys)::text[], \(payloads)::bytea[]) WITH ORDINALITY AS t(k, p, n)
                ORDER BY n
                ON CONFLICT (destination, key) DO NOTHING
                RETURNING id
                """, logger: Self.logger)
            var inserted = 0
            for try await _ in rows.decode(Int64.self) { inserted += 1 }
            return EnqueueResult(inserted: inserted, duplicates: messages.count - inserted)
        }
    }

    public func claim(destination: String, limits: OutboxBatchLimits, minimumCount: Int) async throws -> [OutboxEntry] {
        let leaseMilliseconds = Int(configuration.leaseDuration.inMilliseconds)
        // Rows leased by a claim whose caller stopped waiting go back at once, not when the lease lapses.
        let giveBackLate: @Sendable ([OutboxEntry]) async -> Void = { [weak self] late in try? await self?.giveBack(late.map(\.id)) }
        var entries = try await run(late: giveBackLate) { [self] in
            if minimumCount > 1 {
                let available = try await client.query("""
                    SELECT count(*) FROM (SELECT 1 FROM outbox_messages
                    WHERE destination = \(destination) AND (lease_until IS NULL OR lease_until < now())
                    LIMIT \(minimumCount)) AS s
                    """, logger: Self.logger)
                var count = 0
                for try await value in available.decode(Int.self) { count = value }
                if count < minimumCount { return [] }
            }
            let rows = try await client.query("""
                WITH picked AS (
                    SELECT id FROM outbox_messages
                    WHERE destination = \(destination) AND (lease_until IS NULL OR lease_until < now())
                    ORDER BY id LIMIT \(limits.maxCount)
                    FOR UPDATE SKIP LOCKED)
                UPDATE outbox_messages AS m
                SET lease_owner = \(workerID), lease_until = now() + \(leaseMilliseconds) * interval '1 millisecond'
                FROM picked WHERE m.id = picked.id
                RETURNING m.id, m.key, m.payload, m.attempts
                """, logger: Self.logger)
            var entries: [OutboxEntry] = []
            for try await (id, key, payload, attempts) in rows.decode((Int64, String, ByteBuffer, Int).self) {
                entries.append(OutboxEntry(id: id, key: key, payload: Array(payload.readableBytesView), attempts: attempts))
            }
            return entries.sorted { $0.id < $1.id }
        }
        var bytes = 0
        var keep = 0
        for entry in entries {
            if keep > 0 && bytes + entry.payload.count > limits.maxBytes { break }
            bytes += entry.payload.count
            keep += 1
        }
        if keep < entries.count {
            // Given back before returning, so the next claim finds them; if that fails, their lease lapses.
            try? await giveBack(entries[keep...].map(\.id))
            entries.removeLast(entries.count - keep)
        }
        held.withLock { ids in for entry in entries { ids.insert(entry.id) } }
        return entries
    }

    public func reclaim(_ ids: [Int64]) async throws -> Set<Int64> {
        guard !ids.isEmpty else { return [] }
        let leaseMilliseconds = Int(configuration.leaseDuration.inMilliseconds)
        let kept = try await run { [self] in
            let rows = try await client.query("""
                UPDATE outbox_messages SET lease_until = now() + \(leaseMilliseconds) * interval '1 millisecond'
                WHERE id = ANY(\(ids)) AND lease_owner = \(workerID) AND lease_until >= now()
                RETURNING id
                """, logger: Self.logger)
            var kept = Set<Int64>()
            for try await id in rows.decode(Int64.self) { kept.insert(id) }
            return kept
        }
        if kept.count < ids.count { held.withLock { held in for id in ids where !kept.contains(id) { held.remove(id) } } }
        return kept
    }

    public func confirm(_ ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        try await run { [self] in
            _ = try await client.query(
                "DELETE FROM outbox_messages WHERE id = ANY(\(ids)) AND lease_owner = \(workerID)", logger: Self.logger)
        }
        held.withLock { held in for id in ids { held.remove(id) } }
    }

    public func recordFailure(_ ids: [Int64], reason: String) async throws {
        guard !ids.isEmpty else { return }
        try await run { [self] in
            _ = try await client.query("""
                UPDATE outbox_messages SET attempts = attempts + 1, last_error = \(reason)
                WHERE id = ANY(\(ids)) AND lease_owner = \(workerID)
                """, logger: Self.logger)
        }
    }

    public func release(_ ids: [Int64]) {
        guard !ids.isEmpty else { return }
        let task = Task { _ = try? await self.giveBack(ids) }
        pendingReleases.withLock { tasks in
            tasks.removeAll { $0.isCancelled }
            tasks.append(task)
        }
    }

    public func deadLetter(_ refusals: [(id: Int64, reason: String)]) async throws {
        guard !refusals.isEmpty else { return }
        try await run { [self] in
            try await client.withTransaction(logger: Self.logger) { connection in
                for (id, reason) in refusals {
                    try await connection.query("""
                        WITH moved AS (
                            DELETE FROM outbox_messages WHERE id = \(id) AND lease_owner = \(workerID)
                            RETURNING destination, key, payload, attempts)
                        INSERT INTO outbox_dead_letters (destination, key, payload, reason, attempts)
                        SELECT destination, key, payload, \(reason), attempts + 1 FROM moved
                        """, logger: Self.logger)
                }
            }
        }
        held.withLock { held in for refusal in refusals { held.remove(refusal.id) } }
    }

    public func counts(destination: String?) async throws -> OutboxCounts {
        try await run { [self] in
            let filter = destination ?? ""
            let rows = try await client.query("""
                SELECT
                  (SELECT count(*) FROM outbox_messages WHERE \(filter) = '' OR destination = \(filter)),
                  (SELECT count(*) FROM outbox_messages WHERE (\(filter) = '' OR destination = \(filter)) AND lease_until >= now()),
                  (SELECT count(*) FROM outbox_dead_letters WHERE \(filter) = '' OR destination = \(filter))
                """, logger: Self.logger)
            for try await (pending, leased, dead) in rows.decode((Int, Int, Int).self) {
                return OutboxCounts(pending: pending, leased: leased, deadLetters: dead)
            }
            return OutboxCounts(pending: 0, leased: 0, deadLetters: 0)
        }
    }

    /// The server is writable (not a standby left behind by a failover), and the unique index
    /// that makes enqueue idempotent is present and valid; with the counts.
    public func check() async throws -> OutboxCheck {
        try await run { [self] in
            var problems: [String] = []
            for try await standby in try await client.query("SELECT pg_is_in_recovery()", logger: Self.logger).decode(Bool.self)
            where standby {
                problems.append("the server is a read-only standby: nothing can be stored or sent until it is promoted")
            }
            let index = try await client.query("""
                SELECT bool_and(i.indisvalid AND i.indisunique) FROM pg_index i
                JOIN pg_class c ON c.oid = i.indexrelid
                WHERE c.relname = 'outbox_messages_destination_key' AND c.relnamespace = current_schema()::regnamespace
                """, logger: Self.logger)
            for try await valid in index.decode(Bool?.self) where valid != true {
                problems.append("the unique index outbox_messages_destination_key is missing or invalid: enqueue is not idempotent (REINDEX it)")
            }
            let counts = try await counts(destination: nil)
            return OutboxCheck(problems: problems, pending: counts.pending, deadLetters: counts.deadLetters, batches: nil)
        }
    }

    public func deadLetters(destination: String?, limit: Int, after id: Int64) async throws -> [DeadLetter] {
        guard limit > 0 else { return [] }
        return try await run { [self] in
            let filter = destination ?? ""
            let rows = try await client.query("""
                SELECT id, destination, key, payload, reason, attempts, extract(epoch FROM failed_at)::float8
                FROM outbox_dead_letters
                WHERE id > \(id) AND (\(filter) = '' OR destination = \(filter))
                ORDER BY id LIMIT \(limit)
                """, logger: Self.logger)
            var letters: [DeadLetter] = []
            for try await (id, destination, key, payload, reason, attempts, failedAt)
                in rows.decode((Int64, String, String, ByteBuffer, String, Int, Double).self) {
                letters.append(DeadLetter(
                    id: id, destination: destination, key: key, payload: Array(payload.readableBytesView),
                    reason: reason, attempts: attempts, failedAt: Date(timeIntervalSince1970: failedAt)))
            }
            return letters
        }
    }

    @discardableResult
    public func replayDeadLetters(ids: [Int64]?) async throws -> Int {
        try await run { [self] in
            let all = ids == nil
            let ids = ids ?? []
            let rows = try await client.query("""
                WITH moved AS (
                    DELETE FROM outbox_dead_letters WHERE \(all) OR id = ANY(\(ids))
                    RETURNING id, destination, key, payload),
                stored AS (
                    INSERT INTO outbox_messages (destination, key, payload)
                    SELECT destination, key, payload FROM moved ORDER BY id
                    ON CONFLICT (destination, key) DO NOTHING
                    RETURNING 1)
                SELECT count(*) FROM moved
                """, logger: Self.logger)
            var moved = 0
            for try await count in rows.decode(Int.self) { moved = count }
            return moved
        }
    }

    @discardableResult
    public func purgeDeadLetters(ids: [Int64]?) async throws -> Int {
        try await run { [self] in
            let all = ids == nil
            let ids = ids ?? []
            let rows = try await client.query(
                "WITH gone AS (DELETE FROM outbox_dead_letters WHERE \(all) OR id = ANY(\(ids)) RETURNING 1) SELECT count(*) FROM gone",
                logger: Self.logger)
            var purged = 0
            for try await count in rows.decode(Int.self) { purged = count }
            return purged
        }
    }

    public func pendingDestinations() async throws -> [String] {
        try await run { [self] in
            let rows = try await client.query("SELECT DISTINCT destination FROM outbox_messages ORDER BY destination", logger: Self.logger)
            var destinations: [String] = []
            for try await destination in rows.decode(String.self) { destinations.append(destination) }
            return destinations
        }
    }

    /// Any number of processes may deliver: each event is held by one lease at a time.
    public func lockForDelivery() throws(DeliveryFailure) -> any OutboxDeliveryLock { SharedDelivery() }

    // MARK: Leases

    private func giveBack(_ ids: [Int64]) async throws {
        held.withLock { held in for id in ids { held.remove(id) } }
        try await run { [self] in
            _ = try await client.query("""
                UPDATE outbox_messages SET lease_owner = NULL, lease_until = NULL
                WHERE id = ANY(\(ids)) AND lease_owner = \(workerID)
                """, logger: Self.logger)
        }
    }

    private func renewLeases() async {
        let ids = held.withLock { Array($0) }
        guard !ids.isEmpty else { return }
        let leaseMilliseconds = Int(configuration.leaseDuration.inMilliseconds)
        try? await run { [self] in
            _ = try await client.query("""
                UPDATE outbox_messages SET lease_until = now() + \(leaseMilliseconds) * interval '1 millisecond'
                WHERE id = ANY(\(ids)) AND lease_owner = \(workerID)
                """, logger: Self.logger)
        }
    }

    // MARK: Errors and configuration

    private static let logger = Logger(label: "outbox.postgres")

    /// The client of the pool in use.
    private var client: PostgresClient { pool.withLock { $0.client } }

    /// Runs `body` for at most `limit` (``Configuration/queryTimeout`` unless given; past it,
    /// the database counts as unreachable), turning what fails into an ``OutboxError`` that
    /// names no query and no payload. What `body` returns after the wait gave up goes to `late`.
    ///
    /// A call given up on may still hold a connection, and one whose query the connection lost
    /// holds it for good. Once every connection the pool may open is held by such calls, no
    /// call could ever be answered again: the pool is shut down (closing its connections) and
    /// a new one takes its place.
    private func run<T: Sendable>(
        limit: Duration? = nil, late: @escaping @Sendable (T) async -> Void = { _ in }, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let (limit, location) = (limit ?? configuration.queryTimeout, location)
        let current = pool.withLock { $0 }
        let call = CallAgainstDeadline()
        do {
            let result = try await withDeadline(limit, timeout: { [self] in
                if call.giveUp() { gaveUp(on: current) }
                return OutboxError(kind: .unreachable, path: location, message: "the outbox database did not answer within \(limit)")
            }, late: late) {
                defer { if call.answer() { current.unanswered.subtract(1, ordering: .relaxed) } }
                return try await body()
            }
            connectionWatch.connected()
            return result
        } catch {
            throw describe(error)
        }
    }

    /// Counts a call `current` has not answered in time, and replaces the pool once such calls
    /// hold every connection it may open.
    private func gaveUp(on current: ConnectionPool) {
        let unanswered = current.unanswered.add(1, ordering: .relaxed).newValue
        guard unanswered >= configuration.maxConnections else { return }
        let replaced = pool.withLock { pool in
            guard pool === current else { return false }
            pool = ConnectionPool(configuration: clientConfiguration, watch: connectionWatch)
            return true
        }
        guard replaced else { return }
        current.shutDown()
        logger.warning(
            "outbox connections stuck: every connection waits on a call past its deadline; opened new ones",
            metadata: ["outbox": "\(location)", "unanswered_calls": "\(unanswered)"])
    }

    private func describe(_ error: any Error) -> OutboxError {
        if let error = error as? OutboxError { return error }
        if error is IOError || error is ChannelError {
            return OutboxError(kind: .unreachable, path: location, message: "lost the connection to the outbox database (\(error))")
        }
        guard let error = error as? PSQLError else {
            return OutboxError(kind: .other, path: location, message: "the outbox database failed (\(type(of: error)))")
        }
        let state = error.serverInfo?[.sqlState] ?? ""
        let detail = error.serverInfo?[.message].map { " (\($0))" } ?? ""
        switch (error.code, state) {
        case (.server, let state) where state.hasPrefix("53"):
            return OutboxError(kind: .full, path: location, message: "the outbox database is out of space or resources\(detail)")
        case (.server, let state) where state.hasPrefix("28"):
            return OutboxError(kind: .unavailable, path: location, message: "the outbox database refused the credentials\(detail)")
        case (.server, let state) where state.hasPrefix("3D"):
            return OutboxError(kind: .unavailable, path: location, message: "the outbox database does not exist\(detail)")
        case (.server, "25006"):
            // A standby (a failover not finished, or a proxy pointing at the old primary's replica).
            return OutboxError(kind: .unreachable, path: location, message: "the outbox database is read-only (a standby not yet promoted?)")
        case (.server, let state) where state.hasPrefix("08") || state.hasPrefix("57P"):
            // Connection exceptions, and the server shutting down, restarting or not yet up.
            return OutboxError(kind: .unreachable, path: location, message: "the outbox database went away\(detail)")
        case (.server, _):
            return OutboxError(kind: .other, path: location, message: "the outbox database refused a statement\(detail)")
        default:
            return OutboxError(kind: .unreachable, path: location, message: "cannot reach the outbox database (\(error.code))")
        }
    }

    /// The client configuration for `url`, the same for one plain connection (the start-up
    /// check), and the URL to show (without the password).
    static func clientConfiguration(
        url: String, environment: [String: String], configuration: Configuration
    ) throws -> (PostgresClient.Configuration, PostgresConnection.Configuration, String) {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            let reason = url.hasPrefix("postgres://") || url.hasPrefix("postgresql://")
                ? "not a valid postgres:// URL (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE; a port is a number)"
                : "not a postgres:// or postgresql:// URL"
            throw OutboxError(kind: .unavailable, path: url, message: reason)
        }
        let host = (components.host.flatMap { $0.isEmpty ? nil : $0 }) ?? environment["PGHOST"] ?? "127.0.0.1"
        let port = components.port ?? environment["PGPORT"].flatMap(Int.init) ?? 5432
        let user = (components.user.flatMap { $0.isEmpty ? nil : $0 }) ?? environment["PGUSER"] ?? "postgres"
        let password = components.password ?? environment["PGPASSWORD"]
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let database = path.isEmpty ? environment["PGDATABASE"] ?? user : path
        let sslmode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? environment["PGSSLMODE"] ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        let probeTLS: PostgresConnection.Configuration.TLS
        do {
            switch sslmode {
            case "disable": (tls, probeTLS) = (.disable, .disable)
            case "require", "verify-ca", "verify-full":
                (tls, probeTLS) = (.require(.makeClientConfiguration()), .require(try NIOSSLContext(configuration: .makeClientConfiguration())))
            default: (tls, probeTLS) = (.prefer(.makeClientConfiguration()), .prefer(try NIOSSLContext(configuration: .makeClientConfiguration())))
            }
        } catch {
            throw OutboxError(kind: .unavailable, path: url, message: "cannot set up TLS for the outbox database (\(error))")
        }
        var client = PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
        client.options.maximumConnections = configuration.maxConnections
        client.options.connectTimeout = .seconds(10)
        var probe = PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: probeTLS)
        probe.options.connectTimeout = .seconds(10)
        var shown = URLComponents()
        shown.scheme = components.scheme
        shown.user = user
        shown.host = host
        shown.port = port
        shown.path = "/" + database
        return (client, probe, shown.string ?? "postgres://\(host)/\(database)")
    }

    /// Opens one plain connection before the pool is made, so that start-up fails at once with
    /// PostgreSQL's reason: the pool retries a failing connection for ever, and a wrong password,
    /// a missing database or a closed port would show only as a timeout. Only faults that pass
    /// on their own (the server starting up or shutting down, every connection slot taken) are
    /// waited out, for at most `patience`, each attempt logged.
    static func connectOnce(
        _ configuration: PostgresConnection.Configuration, location: String, patience: Duration, logger: Logger
    ) async throws {
        let deadline = ContinuousClock.now + patience
        var attempt = 0
        while true {
            attempt += 1
            do {
                let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: Self.logger)
                try? await connection.close()
                if attempt > 1 { logger.notice("outbox database answers", metadata: ["outbox": "\(location)", "attempts": "\(attempt)"]) }
                return
            } catch {
                let failure = startupFailure(error, location: location)
                guard failure.mayPass, ContinuousClock.now + .seconds(1) < deadline else { throw failure.error }
                logger.warning(
                    "outbox database not ready; waiting for it",
                    metadata: ["outbox": "\(location)", "reason": "\(failure.error.message)", "attempt": "\(attempt)",
                               "gives_up_in_s": "\((deadline - .now).components.seconds)"])
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// What a failed start-up connection means, in PostgreSQL's terms (its SQLSTATE class, or the
    /// socket's error), and whether waiting may help.
    static func startupFailure(_ error: any Error, location: String) -> (error: OutboxError, mayPass: Bool) {
        if let error = error as? PSQLError {
            let state = error.serverInfo?[.sqlState] ?? ""
            let detail = error.serverInfo?[.message].map { " (\($0))" } ?? ""
            switch error.code {
            case .server where state.hasPrefix("28"):
                return (OutboxError(kind: .unavailable, path: location, message: "the outbox database refused the credentials, SQLSTATE \(state)\(detail)"), false)
            case .server where state == "3D000":
                return (OutboxError(kind: .unavailable, path: location, message: "the outbox database does not exist, SQLSTATE \(state)\(detail)"), false)
            case .server where state == "57P03" || state == "53300" || state.hasPrefix("57P"):
                return (OutboxError(kind: .unreachable, path: location, message: "the outbox database cannot take connections yet, SQLSTATE \(state)\(detail)"), true)
            case .server:
                return (OutboxError(kind: .unavailable, path: location, message: "the outbox database refused the connection, SQLSTATE \(state)\(detail)"), false)
            case .authMechanismRequiresPassword:
                return (OutboxError(kind: .unavailable, path: location, message: "the outbox database asks for a password and none was given (in the URL or PGPASSWORD)"), false)
            case .unsupportedAuthMechanism, .saslError:
                return (OutboxError(kind: .unavailable, path: location, message: "the outbox database's authentication failed (\(error.code))"), false)
            case .sslUnsupported:
                return (OutboxError(kind: .unavailable, path: location, message: "the outbox database does not offer TLS, which sslmode requires"), false)
            case .connectionError:
                if let underlying = error.underlying { return socketFailure(underlying, location: location) }
            default:
                break
            }
            return (OutboxError(kind: .unavailable, path: location, message: "cannot connect to the outbox database (\(error.code))"), false)
        }
        return socketFailure(error, location: location)
    }

    private static func socketFailure(_ error: any Error, location: String) -> (error: OutboxError, mayPass: Bool) {
        let text = "\(error)"
        if (error as? IOError)?.errnoCode == ECONNREFUSED || text.contains("Connection refused") {
            return (OutboxError(kind: .unavailable, path: location, message: "cannot connect to the outbox database: connection refused (is it running, on that host and port?)"), false)
        }
        if let channel = error as? ChannelError, case .connectTimeout = channel {
            return (OutboxError(kind: .unavailable, path: location, message: "cannot connect to the outbox database: no answer within 10 seconds (a firewall, or the wrong host?)"), false)
        }
        if "\(type(of: error))" == "NIOConnectionError" {
            return (OutboxError(kind: .unavailable, path: location, message: "cannot connect to the outbox database: the host name does not resolve, or no address answered"), false)
        }
        return (OutboxError(kind: .unavailable, path: location, message: "cannot connect to the outbox database (\(type(of: error)))"), false)
    }
}

/// Tells people when the outbox's server stops answering and when it answers again. The
/// connection pool reconnects on its own and holds queries while it does, so a restart or a
/// failover shows no error to the caller; the pool's "Connection creation failed" log line is
/// the only sign, read here by its words rather than shown raw. A query that succeeds after it
/// means the server is back.
final class ConnectionWatch: Sendable {
    private let logger: Logger
    private let location: String
    private let awaySince = Mutex<ContinuousClock.Instant?>(nil)

    init(logger: Logger, location: String) {
        self.logger = logger
        self.location = location
    }

    func connectFailed() {
        let first = awaySince.withLock { since in
            defer { since = since ?? .now }
            return since == nil
        }
        if first { logger.warning("outbox unreachable: cannot connect to the database; queries wait until it answers", metadata: ["outbox": "\(location)"]) }
    }

    func connected() {
        guard let since = awaySince.withLock({ since in defer { since = nil }; return since }) else { return }
        logger.notice("outbox reachable again", metadata: ["outbox": "\(location)", "after_s": "\((ContinuousClock.now - since).components.seconds)"])
    }
}

/// The pool's log handler: passes connection failures to a ``ConnectionWatch`` (the outbox
/// tells it of each query that succeeds),
/// drops everything else (its errors may carry server detail not meant for logs).
struct ConnectionWatchHandler: LogHandler {
    let watch: ConnectionWatch
    var logLevel: Logger.Level = .debug
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        switch event.message.description {
        case "Connection creation failed": watch.connectFailed()
        default: break
        }
    }
}

/// Where one call stands against its deadline: waiting, answered, or given up on.
private final class CallAgainstDeadline: Sendable {
    private enum State { case waiting, answered, givenUp }
    private let state = Mutex(State.waiting)

    /// Marks the call given up on; true if it had not been answered.
    func giveUp() -> Bool {
        state.withLock { state in
            guard state == .waiting else { return false }
            state = .givenUp
            return true
        }
    }

    /// Marks the call answered; true if it had been given up on already.
    func answer() -> Bool {
        state.withLock { state in
            defer { state = .answered }
            return state == .givenUp
        }
    }
}

/// A PostgreSQL client with the task that runs it, and the calls it owes: given up on at their
/// deadline and not answered since.
private final class ConnectionPool: Sendable {
    let client: PostgresClient
    let unanswered = Atomic<Int>(0)
    private let running: Task<Void, Never>

    init(configuration: PostgresClient.Configuration, watch: ConnectionWatch) {
        let client = PostgresClient(
            configuration: configuration,
            backgroundLogger: Logger(label: "outbox.postgres.pool") { _ in ConnectionWatchHandler(watch: watch) })
        self.client = client
        running = Task { await client.run() }
    }

    /// Closes every connection, in use or not; calls waiting on one fail.
    func shutDown() { running.cancel() }
}

/// The delivery "lock" of a shared store: nothing to hold, leases do the work.
private struct SharedDelivery: OutboxDeliveryLock {
    func release() {}
}

extension Duration {
    fileprivate var inMilliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
