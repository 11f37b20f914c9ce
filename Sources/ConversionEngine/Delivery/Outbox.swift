import Foundation
import GRDB
import Synchronization

/// A durable queue of outgoing messages in one SQLite file (WAL mode).
///
/// An event counts as accepted once ``enqueue(_:destination:)`` returns; it leaves only through
/// ``confirm(_:)`` (the destination took it) or ``deadLetter(_:)`` (refused, kept with its reason).
///
/// ``claim(destination:limits:minimumCount:)`` hands out messages in enqueue order and leases
/// them to the caller in this `Outbox` value's memory: a claimed message is not claimed again
/// until it is confirmed, dead-lettered or ``release(_:)``d. Leases are never written to the
/// file, so after a crash every unconfirmed message is simply pending again. One process
/// delivers from a file at a time (``Deliverer`` makes sure of it); others may enqueue or
/// inspect it concurrently.
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

    /// Leases held by this value: claimed ids, and per destination the id up to which every
    /// message is leased or gone (where the next claim starts looking).
    private struct Leases: Sendable {
        var destinationOf: [Int64: String] = [:]
        var scannedThrough: [String: Int64] = [:]

        mutating func release(_ ids: some Sequence<Int64>) {
            for id in ids {
                guard let destination = destinationOf.removeValue(forKey: id) else { continue }
                scannedThrough[destination] = min(scannedThrough[destination] ?? 0, id - 1)
            }
        }

        mutating func forget(_ ids: some Sequence<Int64>) {
            for id in ids { destinationOf[id] = nil }
        }
    }

    public let path: String
    let pool: DatabasePool
    /// The `PRAGMA synchronous` level of ordinary commits.
    private let synchronous: String
    private let leases = Mutex(Leases())

    /// Opens (creating if needed) the outbox file at `path` and brings its schema up to date.
    public init(path: String, configuration: Configuration = .init()) throws {
        var config = GRDB.Configuration()
        config.journalMode = .wal
        config.busyMode = .timeout(configuration.busyTimeout)
        let synchronous = configuration.synchronousCommits ? "FULL" : "NORMAL"
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
            // Messages come and go in bulk: checkpoint every 16 MB of log (4,000 pages) rather
            // than SQLite's 4 MB, so pages rewritten several times are copied back once.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 4000")
        }
        self.path = path
        self.synchronous = synchronous
        self.pool = try DatabasePool(path: path, configuration: config)
        try Self.migrator.migrate(pool)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            // Claims read `outbox` in rowid order (the order of acceptance); the unique index
            // makes re-enqueuing idempotent.
            try db.execute(sql: """
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination TEXT NOT NULL,
                    key TEXT NOT NULL,
                    payload BLOB NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    enqueued_at REAL NOT NULL,
                    UNIQUE (destination, key)
                );
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
            let insert = try RawStatement(db, sql: """
                INSERT OR IGNORE INTO outbox (destination, key, payload, enqueued_at) VALUES (?, ?, ?, ?)
                """)
            insert.bind(1, destination)
            insert.bind(4, now)
            var inserted = 0
            for message in messages {
                insert.bind(2, message.key)
                insert.bind(3, blob: message.payload)
                try insert.run()
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
    public func claim(destination: String, limits: BatchLimits, minimumCount: Int = 1) async throws -> [OutboxEntry] {
        // Inside the writer's queue, so that no confirm or enqueue commits while the claim looks.
        try await pool.write { db in
            try self.leases.withLock { leases in
                let start = leases.scannedThrough[destination] ?? 0
                if minimumCount > 1 {
                    // A cheap answer while a sender waits for a fuller batch: no payload is copied.
                    let waiting = try Self.waiting(after: start, destination: destination, upTo: minimumCount, db)
                    if waiting.count < minimumCount, waiting.bytes <= limits.maxBytes { return [] }
                }
                let select = try RawStatement(db, sql: """
                    SELECT id, key, payload, attempts FROM outbox WHERE +destination = ? AND id > ? ORDER BY id
                    """)
                select.bind(1, destination)
                select.bind(2, start)
                var entries: [OutboxEntry] = []
                var bytes = 0
                var full = false
                var lastExamined = start
                try select.rows { row in
                    let id = row.int64(0)
                    if leases.destinationOf[id] != nil {
                        lastExamined = id
                        return true
                    }
                    let size = row.blobCount(2)
                    if !entries.isEmpty, bytes + size > limits.maxBytes {
                        full = true
                        return false
                    }
                    bytes += size
                    entries.append(OutboxEntry(id: id, key: row.text(1), payload: row.blob(2), attempts: Int(row.int64(3))))
                    lastExamined = id
                    return entries.count < limits.maxCount
                }
                guard !entries.isEmpty, full || entries.count >= minimumCount else { return [] }
                for entry in entries { leases.destinationOf[entry.id] = destination }
                leases.scannedThrough[destination] = lastExamined
                return entries
            }
        }
    }

    /// How many messages of `destination` come after `id` (at most `limit`, leased ones included)
    /// and their payload bytes.
    private static func waiting(after id: Int64, destination: String, upTo limit: Int, _ db: Database) throws -> (count: Int, bytes: Int) {
        let statement = try RawStatement(db, sql: """
            SELECT COUNT(*), TOTAL(length(payload)) FROM
                (SELECT payload FROM outbox WHERE +destination = ? AND id > ? ORDER BY id LIMIT ?)
            """)
        statement.bind(1, destination)
        statement.bind(2, id)
        statement.bind(3, Int64(limit))
        var result = (count: 0, bytes: 0)
        try statement.rows { row in
            result = (Int(row.int64(0)), Int(row.int64(1)))
            return false
        }
        return result
    }

    /// Removes messages the destination has taken.
    ///
    /// The removal is committed without waiting for the disk: losing it to a power cut only
    /// means the messages are sent again with the same keys (which the destination
    /// deduplicates), and the next synchronous commit (an ``enqueue(_:destination:)``) flushes
    /// it along with its own.
    public func confirm(_ ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        let synchronous = self.synchronous
        try await pool.writeWithoutTransaction { db in
            if synchronous == "FULL" { try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            defer { if synchronous == "FULL" { try? db.execute(sql: "PRAGMA synchronous = FULL") } }
            try db.inTransaction(.immediate) {
                let delete = try RawStatement(db, sql: "DELETE FROM outbox WHERE id = ?")
                for id in ids {
                    delete.bind(1, id)
                    try delete.run()
                }
                return .commit
            }
        }
        leases.withLock { $0.forget(ids) }
    }

    /// Counts a failed attempt on claimed messages (they stay claimed).
    public func recordFailure(_ ids: [Int64], reason: String) async throws {
        guard !ids.isEmpty else { return }
        try await pool.write { db in
            let update = try RawStatement(db, sql: "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?")
            update.bind(1, reason)
            for id in ids {
                update.bind(2, id)
                try update.run()
            }
        }
    }

    /// Gives claimed messages back unsent: the next claims return them first.
    public func release(_ ids: [Int64]) {
        leases.withLock { $0.release(ids) }
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
        leases.withLock { $0.forget(refusals.map(\.id)) }
    }

    private struct Refusal: Sendable {
        var id: Int64
        var reason: String
    }

    // MARK: Inspecting

    /// Message counts, for one destination or for all.
    public func counts(destination: String? = nil) async throws -> OutboxCounts {
        let leased = leases.withLock { leases in
            destination.map { destination in leases.destinationOf.values.count { $0 == destination } } ?? leases.destinationOf.count
        }
        return try await pool.read { db in
            let filter = destination == nil ? "" : "WHERE destination = ?"
            let arguments: StatementArguments = destination.map { [$0] } ?? []
            let pending = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox \(filter)", arguments: arguments) ?? 0
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

    /// Pending messages in enqueue order (for inspection; does not claim them).
    public func pending(destination: String? = nil, limit: Int = 100) async throws -> [OutboxEntry] {
        try await pool.read { db in
            let rows = try GRDB.Row.fetchAll(
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
