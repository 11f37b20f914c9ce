import Foundation
import GRDB

/// A durable queue of outgoing messages in one SQLite file (WAL mode).
///
/// An event counts as accepted once ``enqueue(_:destination:)`` returns; it leaves only through
/// ``confirm(_:)`` (the destination took it) or ``deadLetter(_:)`` (refused, kept with its reason).
/// ``claim(destination:limits:minimumCount:lease:)`` hands out leases: messages claimed by a
/// process that dies become claimable again when the lease expires, or at once after
/// ``releaseAllLeases()``, which the single deliverer owning the file calls when it starts.
///
/// ```swift
/// let outbox = try Outbox(path: "outbox.sqlite")
/// try await outbox.enqueue(messages, destination: "tiktok:123")
/// let batch = try await outbox.claim(destination: "tiktok:123", limits: .init(maxCount: 1000))
/// // send…
/// try await outbox.confirm(batch.map(\.id))
/// ```
public final class Outbox: Sendable {
    /// How the outbox file is opened.
    public struct Configuration: Sendable {
        /// `true` (default): a commit is on disk before `enqueue` returns, so accepted events survive
        /// power loss. `false`: commits survive a process crash but the latest may be lost on power loss.
        public var synchronousCommits: Bool
        /// How long a writer waits for another process holding the file.
        public var busyTimeout: TimeInterval

        public init(synchronousCommits: Bool = true, busyTimeout: TimeInterval = 10) {
            self.synchronousCommits = synchronousCommits
            self.busyTimeout = busyTimeout
        }
    }

    /// Bounds on one claimed batch.
    public struct BatchLimits: Sendable, Hashable {
        public var maxCount: Int
        /// Sum of payload sizes; a single larger message is still claimed alone.
        public var maxBytes: Int

        public init(maxCount: Int, maxBytes: Int = .max) {
            precondition(maxCount > 0 && maxBytes > 0, "batch limits must be positive")
            self.maxCount = maxCount
            self.maxBytes = maxBytes
        }
    }

    public let path: String
    let pool: DatabasePool

    /// Opens (creating if needed) the outbox file at `path` and brings its schema up to date.
    public init(path: String, configuration: Configuration = .init()) throws {
        var config = GRDB.Configuration()
        config.journalMode = .wal
        config.busyMode = .timeout(configuration.busyTimeout)
        let synchronous = configuration.synchronousCommits ? "FULL" : "NORMAL"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
        }
        self.path = path
        self.pool = try DatabasePool(path: path, configuration: config)
        try Self.migrator.migrate(pool)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination TEXT NOT NULL,
                    key TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    size INTEGER NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    leased_until REAL,
                    enqueued_at REAL NOT NULL,
                    UNIQUE (destination, key)
                );
                CREATE INDEX outbox_by_destination ON outbox (destination, id);
                CREATE TABLE dead_letters (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination TEXT NOT NULL,
                    key TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    reason TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    enqueued_at REAL NOT NULL,
                    failed_at REAL NOT NULL
                );
                """)
        }
        return migrator
    }

    // MARK: Accepting

    /// Stores `messages` for `destination` in one transaction; when it returns they are accepted.
    ///
    /// A message whose key is already pending for `destination` is skipped and counted as a duplicate.
    @discardableResult
    public func enqueue(_ messages: [OutboxMessage], destination: String) async throws -> EnqueueResult {
        guard !messages.isEmpty else { return EnqueueResult(inserted: 0, duplicates: 0) }
        let now = Date().timeIntervalSince1970
        return try await pool.write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO outbox (destination, key, payload, size, enqueued_at)
                VALUES (?, ?, ?, ?, ?)
                """)
            var inserted = 0
            for message in messages {
                try insert.execute(arguments: [
                    destination, message.key, Data(message.payload), message.payload.count, now,
                ])
                inserted += db.changesCount
            }
            return EnqueueResult(inserted: inserted, duplicates: messages.count - inserted)
        }
    }

    // MARK: Sending

    /// Leases the oldest unleased messages of `destination`, in enqueue order, within `limits`.
    ///
    /// Returns an empty array (and leases nothing) when fewer than `minimumCount` are available and
    /// the byte limit is not reached, which lets a sender wait for a fuller batch while input is
    /// still arriving.
    public func claim(
        destination: String,
        limits: BatchLimits,
        minimumCount: Int = 1,
        lease: TimeInterval = 600
    ) async throws -> [OutboxEntry] {
        let now = Date().timeIntervalSince1970
        return try await pool.write { db in
            let select = try db.cachedStatement(sql: """
                SELECT id, key, payload, attempts FROM outbox
                WHERE destination = ? AND (leased_until IS NULL OR leased_until <= ?)
                ORDER BY id LIMIT ?
                """)
            var entries: [OutboxEntry] = []
            var bytes = 0
            var full = false
            let rows = try Row.fetchCursor(select, arguments: [destination, now, limits.maxCount])
            while let row = try rows.next() {
                let payload: Data = row[2]
                if !entries.isEmpty, bytes + payload.count > limits.maxBytes {
                    full = true
                    break
                }
                bytes += payload.count
                entries.append(OutboxEntry(id: row[0], key: row[1], payload: [UInt8](payload), attempts: row[3]))
            }
            guard !entries.isEmpty, full || entries.count >= minimumCount else { return [] }
            let leaseStatement = try db.cachedStatement(sql: "UPDATE outbox SET leased_until = ? WHERE id = ?")
            for entry in entries {
                try leaseStatement.execute(arguments: [now + lease, entry.id])
            }
            return entries
        }
    }

    /// Removes messages the destination has taken.
    public func confirm(_ ids: some Collection<Int64> & Sendable) async throws {
        guard !ids.isEmpty else { return }
        try await pool.write { db in
            let delete = try db.cachedStatement(sql: "DELETE FROM outbox WHERE id = ?")
            for id in ids { try delete.execute(arguments: [id]) }
        }
    }

    /// Counts a failed attempt on leased messages and keeps them leased for another `lease` seconds.
    public func recordFailure(_ ids: some Collection<Int64> & Sendable, reason: String, lease: TimeInterval = 600) async throws {
        guard !ids.isEmpty else { return }
        let until = Date().timeIntervalSince1970 + lease
        try await pool.write { db in
            let update = try db.cachedStatement(sql: """
                UPDATE outbox SET attempts = attempts + 1, last_error = ?, leased_until = ? WHERE id = ?
                """)
            for id in ids { try update.execute(arguments: [reason, until, id]) }
        }
    }

    /// Makes leased messages claimable again (the sender gave them back unsent).
    public func release(_ ids: some Collection<Int64> & Sendable) async throws {
        guard !ids.isEmpty else { return }
        try await pool.write { db in
            let update = try db.cachedStatement(sql: "UPDATE outbox SET leased_until = NULL WHERE id = ?")
            for id in ids { try update.execute(arguments: [id]) }
        }
    }

    /// Makes every leased message claimable again. Call it when the only sender of this file starts,
    /// so messages claimed by a process that crashed are sent again at once.
    @discardableResult
    public func releaseAllLeases() async throws -> Int {
        try await pool.write { db in
            try db.execute(sql: "UPDATE outbox SET leased_until = NULL WHERE leased_until IS NOT NULL")
            return db.changesCount
        }
    }

    /// Moves refused messages to the dead letters, each with the destination's reason.
    public func deadLetter(_ refusals: [(id: Int64, reason: String)]) async throws {
        guard !refusals.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        let refusals = refusals.map { Refusal(id: $0.id, reason: $0.reason) }
        try await pool.write { db in
            let move = try db.cachedStatement(sql: """
                INSERT INTO dead_letters (destination, key, payload, reason, attempts, enqueued_at, failed_at)
                SELECT destination, key, payload, ?, attempts + 1, enqueued_at, ? FROM outbox WHERE id = ?
                """)
            let delete = try db.cachedStatement(sql: "DELETE FROM outbox WHERE id = ?")
            for refusal in refusals {
                try move.execute(arguments: [refusal.reason, now, refusal.id])
                try delete.execute(arguments: [refusal.id])
            }
        }
    }

    private struct Refusal: Sendable {
        var id: Int64
        var reason: String
    }

    // MARK: Inspecting

    /// Message counts, for one destination or for all.
    public func counts(destination: String? = nil) async throws -> OutboxCounts {
        let now = Date().timeIntervalSince1970
        return try await pool.read { db in
            let filter = destination == nil ? "" : "WHERE destination = ?"
            let arguments: StatementArguments = destination.map { [$0] } ?? []
            let pending = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox \(filter)", arguments: arguments) ?? 0
            let leased = try Int.fetchOne(
                db,
                sql: "SELECT COUNT(*) FROM outbox \(filter.isEmpty ? "WHERE" : filter + " AND") leased_until > ?",
                arguments: arguments + [now]
            ) ?? 0
            let dead = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dead_letters \(filter)", arguments: arguments) ?? 0
            return OutboxCounts(pending: pending, leased: leased, deadLetters: dead)
        }
    }

    /// Destinations that have pending messages.
    public func pendingDestinations() async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT destination FROM outbox ORDER BY destination")
        }
    }

    /// Pending messages in enqueue order (for inspection; does not lease them).
    public func pending(destination: String? = nil, limit: Int = 100) async throws -> [OutboxEntry] {
        try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, key, payload, attempts FROM outbox
                    \(destination == nil ? "" : "WHERE destination = ?") ORDER BY id LIMIT ?
                    """,
                arguments: (destination.map { [$0] } ?? []) + [limit]
            )
            return rows.map { row in
                OutboxEntry(id: row[0], key: row[1], payload: [UInt8](row[2] as Data), attempts: row[3])
            }
        }
    }
}
