import Delivery
import Foundation
import GRDB
import Synchronization

/// A durable queue of outgoing messages in one SQLite file (WAL mode).
///
/// An event counts as accepted once ``enqueue(_:destination:)`` returns; it leaves only through
/// ``confirm(_:)`` (the destination took it) or ``deadLetter(_:)`` (refused, kept with its reason).
///
/// A damaged file is found when it is opened (``Configuration/integrityCheckLimit``) or when
/// SQLite first reports it; from then on every call throws the same ``OutboxError`` (kind
/// `.damaged`): nothing more is accepted into, or delivered from, a file that may lose it. See
/// ``check(path:)`` and ``recover(from:into:)``. Every error is an ``OutboxError``.
///
/// ``claim(destination:limits:minimumCount:)`` hands out messages in enqueue order and leases
/// them to the caller in this `Outbox` value's memory: a claimed message is not claimed again
/// until it is confirmed, dead-lettered or ``release(_:)``d. Leases are never written to the
/// file, so after a crash every unconfirmed message is simply pending again. One process
/// delivers from a file at a time (``Deliverer`` makes sure of it); others may enqueue or
/// inspect it concurrently.
///
/// Each `enqueue` is stored as one row holding all its messages (see ``StoredBatch``), not a
/// row per message: storing, claiming and confirming a thousand events are then a few row
/// operations, which is most of what the outbox costs. A message's ``OutboxEntry/id`` names
/// its row and its position in it.
///
/// ```swift
/// let outbox = try Outbox(path: "outbox.sqlite")
/// try await outbox.enqueue(messages, destination: "tiktok:123")
/// let batch = try await outbox.claim(destination: "tiktok:123", limits: .init(maxCount: 1000))
/// // send…
/// try await outbox.confirm(batch.map(\.id))
/// ```
public final class Outbox: OutboxStore {
    /// How the outbox file is opened.
    public struct Configuration: Sendable {
        /// `true` (default): a commit is on disk before `enqueue` returns, so accepted events survive
        /// power loss. `false`: commits survive a process crash but the latest may be lost on power loss.
        public var synchronousCommits: Bool
        /// How long a writer waits for another process holding the file (and an opener for
        /// another process opening it).
        public var busyTimeout: TimeInterval
        /// Files up to this size get SQLite's `quick_check` of every page when opened (measured
        /// on a 280 MB outbox: 0.15 s with the file in the page cache, 1.8 s read cold from
        /// disk); larger ones get the check of the small tables only, and damage among their
        /// stored batches is found when they are read. 0 skips the check.
        public var integrityCheckLimit: Int

        public init(synchronousCommits: Bool = true, busyTimeout: TimeInterval = 10, integrityCheckLimit: Int = 256 << 20) {
            self.synchronousCommits = synchronousCommits
            self.busyTimeout = busyTimeout
            self.integrityCheckLimit = integrityCheckLimit
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
    /// The file's path.
    public var location: String { path }
    let pool: DatabasePool
    /// The `PRAGMA synchronous` level of ordinary commits.
    private let synchronous: String
    private let leases = Mutex(Leases())
    /// The keys of pending messages, for idempotent enqueues (used inside write transactions).
    private let pendingKeys = Mutex(PendingKeyIndex())
    /// Set once the file is found damaged: every later call throws it.
    private let damage = Mutex<OutboxError?>(nil)
    /// The writer connection's `PRAGMA synchronous` as last set by ``write(_:_:)``; nil when unknown.
    private let writerLevel = Mutex<String?>(nil)

    /// Opens (creating if needed) the outbox file at `path` and brings its schema up to date
    /// (an outbox written by an earlier version keeps every pending message). Several
    /// processes may open one file at once: they take turns (see ``FileLock``). A damaged
    /// file is found before anything is written to it.
    ///
    /// - Throws: ``OutboxError``; kind `.damaged` when the integrity check finds damage.
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
            // Batches are claimed soon after they are stored: a page cache that holds the
            // batches in flight (16 MB, against SQLite's 2 MB) serves claims without reading
            // the log back from the file.
            try db.execute(sql: "PRAGMA cache_size = -16384")
            // Deleted content is zeroed on pages that are written anyway, but pages freed
            // whole (a delivered batch's payloads) are not rewritten just to zero them, which
            // would double what a confirmation writes. They hold only hashed, sendable data.
            try db.execute(sql: "PRAGMA secure_delete = FAST")
        }
        self.path = path
        self.synchronous = synchronous
        do {
            let opening = try FileLock.wait(for: path + ".open-lock", upTo: configuration.busyTimeout, outboxPath: path)
            defer { opening.unlock() }
            // Checked before the pool opens it: opening in WAL mode writes to the file.
            try Self.checkIntegrity(path: path, limit: configuration.integrityCheckLimit)
            self.pool = try DatabasePool(path: path, configuration: config)
            try Self.migrator.migrate(pool)
        } catch {
            throw OutboxError(error, path: path)
        }
    }

    /// Runs ``quickCheck(_:tables:limit:)`` over an existing file through a read-only
    /// connection; throws a `.damaged` ``OutboxError`` naming the first problem.
    private static func checkIntegrity(path: String, limit: Int) throws {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard limit > 0, size > 0 else { return }
        var configuration = GRDB.Configuration()
        configuration.readonly = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? queue.close() }
        let problems = try queue.read { db in try quickCheck(db, tables: size <= limit ? nil : smallTables) }
        if let first = problems.first {
            throw OutboxError(kind: .damaged, path: path, message: "the outbox file is damaged (\(first))")
        }
    }

    /// The tables that stay small whatever the outbox holds (the blobs are in `outbox_batches`
    /// and `dead_letters`).
    static let smallTables = ["outbox_settled", "outbox_failures", "sqlite_schema"]

    /// SQLite's `quick_check` of the whole file, or of `tables`; the problems it found (none: sound).
    static func quickCheck(_ db: Database, tables: [String]? = nil, limit: Int = 20) throws -> [String] {
        var problems: [String] = []
        for table in tables.map({ $0.map(Optional.some) }) ?? [nil] {
            let sql = table.map { "PRAGMA quick_check(\($0.quotedDatabaseIdentifier))" } ?? "PRAGMA quick_check(\(limit))"
            problems += try String.fetchAll(db, sql: sql)
                .flatMap { $0.split(separator: "\n").map(String.init) }
                .filter { $0 != "ok" && !$0.hasPrefix("*** in database") }
        }
        return problems
    }

    // MARK: Access

    /// Runs `body` in a read transaction; damage found there marks the outbox damaged.
    func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        try throwIfDamaged()
        do {
            return try await pool.read(body)
        } catch {
            throw noted(error)
        }
    }

    /// How a write transaction's commit reaches the disk.
    enum Commit {
        /// With the configured durability (``Configuration/synchronousCommits``).
        case durable
        /// Without waiting for the disk (losing it to a power cut is harmless).
        case fast
        /// The transaction writes nothing (it only reads under the writer's lock).
        case nothingWritten
    }

    /// Runs `body` in a write transaction. Each write sets the `synchronous` level its commit
    /// needs (when the writer is not at it already), so no write ever inherits a weaker one.
    func write<T: Sendable>(_ commit: Commit = .durable, _ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        try throwIfDamaged()
        let level: String? = switch commit {
        case .durable: synchronous
        case .fast: "NORMAL"
        case .nothingWritten: nil
        }
        do {
            return try await pool.writeWithoutTransaction { db in
                if let level, self.writerLevel.withLock({ $0 }) != level {
                    self.writerLevel.withLock { $0 = nil }
                    try db.execute(sql: "PRAGMA synchronous = \(level)")
                    self.writerLevel.withLock { $0 = level }
                }
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        } catch {
            // The transaction rolled back: what it put in the index is not in the file.
            pendingKeys.withLock { $0.invalidate() }
            throw noted(error)
        }
    }

    /// The error that has made this outbox unusable, if any.
    public var damageFound: OutboxError? { damage.withLock { $0 } }

    private func throwIfDamaged() throws {
        if let damage = damage.withLock({ $0 }) { throw damage }
    }

    /// `error` as an ``OutboxError``; a damaged file is remembered.
    private func noted(_ error: any Error) -> any Error {
        if error is CancellationError { return error }
        let explained = OutboxError(error, path: path)
        if explained.isDamaged { damage.withLock { $0 = $0 ?? explained } }
        return explained
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
        migrator.registerMigration("v2: a row per stored batch") { db in
            // Claims read batches in rowid order (the order of acceptance). The blobs come last
            // so that reading the other columns never walks a blob's overflow pages. `settled`
            // holds the messages of a batch already confirmed or dead-lettered while the rest of
            // it is still pending. (The pending keys of this version, as text, are replaced in v3;
            // the first version's rows are moved there too.)
            try db.execute(sql: """
                CREATE TABLE outbox_batches (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination TEXT NOT NULL,
                    count INTEGER NOT NULL,
                    payload_bytes INTEGER NOT NULL,
                    enqueued_at REAL NOT NULL,
                    entries BLOB NOT NULL,
                    payloads BLOB NOT NULL
                );
                CREATE TABLE outbox_keys (
                    destination TEXT NOT NULL,
                    key TEXT NOT NULL,
                    PRIMARY KEY (destination, key)
                ) WITHOUT ROWID;
                CREATE TABLE outbox_settled (
                    batch INTEGER NOT NULL,
                    position INTEGER NOT NULL,
                    PRIMARY KEY (batch, position)
                ) WITHOUT ROWID;
                CREATE TABLE outbox_failures (
                    batch INTEGER NOT NULL,
                    position INTEGER NOT NULL,
                    attempts INTEGER NOT NULL,
                    last_error TEXT,
                    PRIMARY KEY (batch, position)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v3: pending keys by hash") { db in
            // Version 3 kept each pending key's hash in a table of its own (v4 drops it: the
            // index lives in memory, see ``PendingKeyIndex``).
            try db.execute(sql: """
                CREATE TABLE outbox_pending_keys (
                    hash INTEGER PRIMARY KEY,
                    message INTEGER NOT NULL
                );
                """)
            try db.execute(sql: "DROP TABLE outbox_keys")
            if try db.tableExists("outbox") {
                // Moved rows are stored as today's code stores them, with their sums (see v5).
                try Self.addSums(db)
                try Self.moveVersion1Rows(db)
                try db.execute(sql: "DROP TABLE outbox")
            }
        }
        migrator.registerMigration("v4: pending keys indexed in memory") { db in
            try db.execute(sql: "DROP TABLE outbox_pending_keys")
        }
        migrator.registerMigration("v5: payload checksums") { db in
            try Self.addSums(db)
        }
        return migrator
    }

    /// Adds the payload checksums' column, unless a version-1 move added it already. NULL for
    /// the batches stored before: they are read as before, unchecked.
    private static func addSums(_ db: Database) throws {
        guard try !db.columns(in: "outbox_batches").contains(where: { $0.name == "sums" }) else { return }
        try db.execute(sql: "ALTER TABLE outbox_batches ADD COLUMN sums BLOB")
    }

    /// Moves the one-row-per-message table of version 1 into stored batches, in order, with
    /// their failed attempts.
    private static func moveVersion1Rows(_ db: Database) throws {
        var failures: [(attempts: Int64, lastError: String?)] = []
        let recordFailure = try RawStatement(db, sql: "INSERT INTO outbox_failures (batch, position, attempts, last_error) VALUES (?, ?, ?, ?)")
        let rows = try Row.fetchCursor(db, sql: "SELECT destination, key, payload, attempts, last_error, enqueued_at FROM outbox ORDER BY id")
        var keys = PendingKeyIndex()
        try storeInOrder(db, keys: &keys) {
            guard let row = try rows.next() else { return nil }
            failures.append((row[3], row[4]))
            return (row[0], OutboxMessage(key: row[1], payload: [UInt8](row[2] as Data)), row[5])
        } stored: { ids in
            for (id, failure) in zip(ids, failures) where failure.attempts > 0 {
                guard let id else { continue }
                recordFailure.bind(1, StoredBatch.batch(of: id))
                recordFailure.bind(2, Int64(StoredBatch.position(of: id)))
                recordFailure.bind(3, failure.attempts)
                if let lastError = failure.lastError { recordFailure.bind(4, lastError) } else { recordFailure.bindNull(4) }
                try recordFailure.run()
            }
            failures.removeFirst(ids.count)
        }
    }

    /// Stores messages that `next` reads one at a time, in order: each run of one destination
    /// as stored batches, holding at most one batch's worth in memory. A run keeps the
    /// `enqueuedAt` of its first message. `stored` sees each run's ids (nil for a duplicate).
    static func storeInOrder(
        _ db: Database,
        keys: inout PendingKeyIndex,
        next: () throws -> (destination: String, message: OutboxMessage, enqueuedAt: Double)?,
        stored: (_ ids: [Int64?]) throws -> Void = { _ in }
    ) throws {
        var run: [OutboxMessage] = []
        var runDestination = ""
        var runEnqueuedAt = 0.0
        func flush() throws {
            guard !run.isEmpty else { return }
            try stored(try store(run, destination: runDestination, enqueuedAt: runEnqueuedAt, keys: &keys, db))
            run.removeAll(keepingCapacity: true)
        }
        while let (destination, message, enqueuedAt) = try next() {
            if destination != runDestination || run.count == StoredBatch.maxCount {
                try flush()
                runDestination = destination
                runEnqueuedAt = enqueuedAt
            }
            run.append(message)
        }
        try flush()
    }

    // MARK: Accepting

    /// Stores `messages` for `destination` in one transaction; when it returns they are accepted.
    ///
    /// A message whose key is already pending for `destination` is skipped and counted as a duplicate.
    @discardableResult
    public func enqueue(_ messages: [OutboxMessage], destination: String) async throws -> EnqueueResult {
        guard !messages.isEmpty else { return EnqueueResult(inserted: 0, duplicates: 0) }
        let now = Date().timeIntervalSince1970
        return try await write { db in
            let ids = try self.store(messages, destination: destination, enqueuedAt: now, db)
            let inserted = ids.count { $0 != nil }
            return EnqueueResult(inserted: inserted, duplicates: messages.count - inserted)
        }
    }

    /// Keys in this outbox's index of pending keys, stale ones included (see ``PendingKeyIndex``).
    var indexedPendingKeys: Int { pendingKeys.withLock { $0.count } }

    /// ``store(_:destination:enqueuedAt:keys:_:)`` with this outbox's index of pending keys.
    func store(_ messages: [OutboxMessage], destination: String, enqueuedAt: Double, _ db: Database) throws -> [Int64?] {
        try pendingKeys.withLock { keys in
            try Self.store(messages, destination: destination, enqueuedAt: enqueuedAt, keys: &keys, db)
        }
    }

    /// ``storeInOrder(_:keys:next:stored:)`` with this outbox's index of pending keys.
    func storeInOrder(
        _ db: Database,
        next: () throws -> (destination: String, message: OutboxMessage, enqueuedAt: Double)?
    ) throws {
        try pendingKeys.withLock { keys in try Self.storeInOrder(db, keys: &keys, next: next) }
    }

    /// Stores the messages whose keys are not pending for `destination` yet, as few stored
    /// batches as fit; returns each message's id, nil for a duplicate. Inside a write.
    static func store(
        _ messages: [OutboxMessage], destination: String, enqueuedAt: Double, keys: inout PendingKeyIndex, _ db: Database
    ) throws -> [Int64?] {
        try keys.catchUp(db)
        var storedKeys = try StoredKeys(db)
        // The messages to store (as indices into `messages`) and their key hashes.
        var freshIndices: [Int] = []
        var freshHashes: [Int64] = []
        // This call's own keys, so that a key given twice is stored once: each hash with the
        // first fresh message that has it (an index into `freshIndices`). Another key with the
        // same hash (a collision) is told apart by a search of the fresh messages.
        var freshByHash: [Int64: Int] = [:]
        freshIndices.reserveCapacity(messages.count)
        freshHashes.reserveCapacity(messages.count)
        freshByHash.reserveCapacity(messages.count)
        let seed = PendingKeyHash.seed(destination: destination)
        for index in messages.indices {
            let key = messages[index].key
            let hash = PendingKeyHash.of(seed: seed, key: key.utf8)
            if let earlier = freshByHash[hash] {
                func isGiven(_ i: Int) -> Bool { messages[freshIndices[i]].key.utf8.elementsEqual(key.utf8) }
                if isGiven(earlier) || freshIndices.indices.contains(where: { freshHashes[$0] == hash && isGiven($0) }) { continue }
            } else {
                freshByHash[hash] = freshIndices.count
            }
            if let candidate = keys.candidate(for: hash) {
                if try storedKeys.holds(candidate, destination: destination, key: key) { continue }
                keys.forget(hash: hash, message: candidate)
            }
            freshIndices.append(index)
            freshHashes.append(hash)
        }
        var ids = [Int64?](repeating: nil, count: messages.count)
        let insertBatch = try RawStatement(db, sql: """
            INSERT INTO outbox_batches (destination, count, payload_bytes, enqueued_at, entries, payloads, sums) VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        insertBatch.bind(1, destination)
        insertBatch.bind(4, enqueuedAt)
        // Without duplicates (the usual case) the messages are stored as given, not copied.
        let fresh = freshIndices.count == messages.count ? messages : freshIndices.map { messages[$0] }
        for run in StoredBatch.runs(fresh) {
            let (entries, payloads, sums) = StoredBatch.encode(run)
            insertBatch.bind(2, Int64(run.count))
            insertBatch.bind(3, Int64(payloads.count))
            insertBatch.bind(7, blob: sums)
            try insertBatch.run(blob: 5, entries, blob: 6, payloads)
            let batch = db.lastInsertedRowID
            for (position, index) in run.indices.enumerated() {
                let id = StoredBatch.messageID(batch: batch, position: position)
                ids[freshIndices[index]] = id
                keys.stored(hash: freshHashes[index], message: id)
            }
        }
        return ids
    }

    /// Checks a hit of the ``PendingKeyIndex`` against the key stored with the message it names.
    private struct StoredKeys {
        let db: Database
        let selectBatch: RawStatement
        /// Batches read so far, with their keys copied out (a run enqueued again finds its keys
        /// in a few batches).
        var batches: [Int64: (destination: String, keys: [String], settled: Set<Int>)] = [:]

        init(_ db: Database) throws {
            self.db = db
            selectBatch = try RawStatement(db, sql: "SELECT destination, count, entries FROM outbox_batches WHERE id = ?")
        }

        /// Whether `message` is pending and holds `key` for `destination`.
        mutating func holds(_ message: Int64, destination: String, key: String) throws -> Bool {
            let batch = StoredBatch.batch(of: message)
            let position = StoredBatch.position(of: message)
            if batches[batch] == nil {
                selectBatch.bind(1, batch)
                try selectBatch.rows { row in
                    let entries = try Outbox.entries(of: batch, row.blobBytes(2), count: Int(row.int64(1)))
                    let keys = (0..<entries.count).map(entries.key)
                    batches[batch] = (row.text(0), keys, try Outbox.settledPositions(of: batch, db))
                    return false
                }
            }
            // Byte for byte, as SQLite compared the keys before (String's == would equate
            // canonically equivalent Unicode, which are different ids to a destination).
            guard let stored = batches[batch], stored.destination.utf8.elementsEqual(destination.utf8),
                position < stored.keys.count, !stored.settled.contains(position)
            else { return false }
            return stored.keys[position].utf8.elementsEqual(key.utf8)
        }
    }

    // MARK: Sending

    /// Leases the oldest unleased messages of `destination`, in enqueue order, within `limits`.
    ///
    /// Returns an empty array (and leases nothing) when fewer than `minimumCount` are available and
    /// the byte limit is not reached, which lets a sender wait for a fuller batch while input is
    /// still arriving.
    public func claim(destination: String, limits: OutboxBatchLimits, minimumCount: Int) async throws -> [OutboxEntry] {
        // Inside the writer's queue, so that no confirm or enqueue commits while the claim looks.
        // A message whose bytes no longer match their sum is never returned: it is dead-lettered.
        let (claimed, damaged) = try await write(.nothingWritten) { db -> ([OutboxEntry], [Refusal]) in
            var damaged: [Refusal] = []
            return try self.leases.withLock { leases in
                let start = leases.scannedThrough[destination] ?? 0
                if minimumCount > 1 {
                    // A cheap answer while a sender waits for a fuller batch: no blob is read.
                    let waiting = try Self.waiting(after: start, destination: destination, upTo: minimumCount, db)
                    if waiting.count < minimumCount, waiting.bytes <= limits.maxBytes { return ([], []) }
                }
                var entries: [OutboxEntry] = []
                var bytes = 0
                var full = false
                var lastExamined = start
                try Self.forEachPending(destination: destination, after: start, db) { message in
                    if leases.destinationOf[message.id] != nil {
                        lastExamined = message.id
                        return true
                    }
                    guard message.isIntact else {
                        damaged.append(Refusal(id: message.id, reason: StoredBatch.damagedReason))
                        lastExamined = message.id
                        return true
                    }
                    let size = message.payloadCount
                    if !entries.isEmpty, bytes + size > limits.maxBytes {
                        full = true
                        return false
                    }
                    bytes += size
                    entries.append(message.entry)
                    lastExamined = message.id
                    return entries.count < limits.maxCount
                }
                guard !entries.isEmpty, full || entries.count >= minimumCount else { return ([], damaged) }
                for entry in entries { leases.destinationOf[entry.id] = destination }
                leases.scannedThrough[destination] = lastExamined
                return (entries, damaged)
            }
        }
        if !damaged.isEmpty {
            try await deadLetter(damaged.map { ($0.id, $0.reason) })
        }
        return claimed
    }

    /// How many messages of `destination` come after `id` (roughly, and at most `limit`, leased
    /// ones included) and about how many payload bytes, from the batches' counts alone.
    private static func waiting(after id: Int64, destination: String, upTo limit: Int, _ db: Database) throws -> (count: Int, bytes: Int) {
        let statement = try RawStatement(db, sql: """
            SELECT id, count, payload_bytes FROM outbox_batches WHERE +destination = ? AND id >= ? ORDER BY id
            """)
        statement.bind(1, destination)
        statement.bind(2, StoredBatch.batch(of: id))
        var result = (count: 0, bytes: 0)
        try statement.rows { row in
            let count = Int(row.int64(1))
            let passed = row.int64(0) == StoredBatch.batch(of: id) ? StoredBatch.position(of: id) + 1 : 0
            let remaining = max(0, count - passed)
            result.count += remaining
            result.bytes += count > 0 ? Int(row.int64(2)) * remaining / count : 0
            return result.count < limit
        }
        return result
    }

    /// One pending message, read in place while its batch's row is current.
    struct PendingMessage {
        let id: Int64
        let destination: String
        let position: Int
        let attempts: Int
        let entries: StoredBatch.Entries
        let payloads: UnsafeRawBufferPointer
        /// The batch's `sums` blob (empty for a batch stored before sums existed).
        let sums: UnsafeRawBufferPointer

        var payloadCount: Int { entries.entries[position].payloadCount }
        /// Whether the payload still matches its checksum.
        var isIntact: Bool { StoredBatch.isIntact(entries.payloadBytes(position, in: payloads), position: position, sums: sums) }
        var key: String { entries.key(position) }
        var entry: OutboxEntry {
            OutboxEntry(id: id, key: key, payload: entries.payload(position, in: payloads), attempts: attempts)
        }
    }

    /// Calls `body` on each pending message after message id `start`, in enqueue order (of one
    /// destination, or of all when it is nil), until `body` returns false.
    private static func forEachPending(
        destination: String?, after start: Int64, _ db: Database, _ body: (PendingMessage) throws -> Bool
    ) throws {
        let select = try RawStatement(db, sql: destination == nil
            ? "SELECT id, count, entries, payloads, destination, sums FROM outbox_batches WHERE id >= ? ORDER BY id"
            : "SELECT id, count, entries, payloads, destination, sums FROM outbox_batches WHERE id >= ? AND +destination = ? ORDER BY id")
        select.bind(1, StoredBatch.batch(of: start))
        if let destination { select.bind(2, destination) }
        try select.rows { row in
            let batch = row.int64(0)
            let payloads = row.blobBytes(3)
            let entries = try Self.entries(of: batch, row.blobBytes(2), count: Int(row.int64(1)), payloads: payloads)
            let settled = try settledPositions(of: batch, db)
            let attempts = try failedAttempts(of: batch, db)
            let batchDestination = destination ?? row.text(4)
            for position in 0..<entries.count where !settled.contains(position) {
                let id = StoredBatch.messageID(batch: batch, position: position)
                guard id > start else { continue }
                let message = PendingMessage(
                    id: id, destination: batchDestination, position: position, attempts: attempts[position] ?? 0,
                    entries: entries, payloads: payloads, sums: row.blobBytes(5))
                guard try body(message) else { return false }
            }
            return true
        }
    }

    /// The entries of stored batch `batch`, from its row. A blob that is not what
    /// ``StoredBatch/encode(_:)`` wrote, or `payloads` that do not add up to it, mean a damaged
    /// file: it is reported, never read as empty messages.
    static func entries(
        of batch: Int64, _ blob: UnsafeRawBufferPointer, count: Int, payloads: UnsafeRawBufferPointer? = nil
    ) throws -> StoredBatch.Entries {
        guard let entries = StoredBatch.Entries(blob, count: count), payloads.map({ $0.count == entries.payloadBytes }) ?? true else {
            throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "outbox batch \(batch) is damaged")
        }
        return entries
    }

    static func settledPositions(of batch: Int64, _ db: Database) throws -> Set<Int> {
        let select = try RawStatement(db, sql: "SELECT position FROM outbox_settled WHERE batch = ?")
        select.bind(1, batch)
        var positions = Set<Int>()
        try select.rows { row in
            positions.insert(Int(row.int64(0)))
            return true
        }
        return positions
    }

    private static func failedAttempts(of batch: Int64, _ db: Database) throws -> [Int: Int] {
        let select = try RawStatement(db, sql: "SELECT position, attempts FROM outbox_failures WHERE batch = ?")
        select.bind(1, batch)
        var attempts: [Int: Int] = [:]
        try select.rows { row in
            attempts[Int(row.int64(0))] = Int(row.int64(1))
            return true
        }
        return attempts
    }

    /// Removes messages the destination has taken.
    ///
    /// The removal is committed without waiting for the disk: losing it to a power cut only
    /// means the messages are sent again with the same keys (which the destination
    /// deduplicates), and the next synchronous commit (an ``enqueue(_:destination:)``) flushes
    /// it along with its own.
    public func confirm(_ ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        try await write(.fast) { db in
            try self.pendingKeys.withLock { keys in try Self.settle(ids, keys: &keys, db) }
        }
        leases.withLock { $0.forget(ids) }
    }

    /// Takes messages out of the outbox: their keys may be enqueued again, and a batch whose
    /// messages are all settled is deleted. Unknown or already settled ids are ignored.
    private static func settle(_ ids: [Int64], keys: inout PendingKeyIndex, _ db: Database) throws {
        var positionsByBatch: [Int64: Set<Int>] = [:]
        for id in ids { positionsByBatch[StoredBatch.batch(of: id), default: []].insert(StoredBatch.position(of: id)) }
        let select = try RawStatement(db, sql: "SELECT destination, count, entries FROM outbox_batches WHERE id = ?")
        let markSettled = try RawStatement(db, sql: "INSERT OR IGNORE INTO outbox_settled (batch, position) VALUES (?, ?)")
        // A batch whose messages are all settled goes, with what is recorded about them.
        let deleteBatch = try [
            "DELETE FROM outbox_batches WHERE id = ?", "DELETE FROM outbox_settled WHERE batch = ?",
            "DELETE FROM outbox_failures WHERE batch = ?",
        ].map { sql in try RawStatement(db, sql: sql) }
        for (batch, positions) in positionsByBatch.sorted(by: { $0.key < $1.key }) {
            let settled = try settledPositions(of: batch, db)
            var batchCount: Int?
            select.bind(1, batch)
            try select.rows { row in
                let count = Int(row.int64(1))
                let entries = try Self.entries(of: batch, row.blobBytes(2), count: count)
                batchCount = count
                guard keys.isBuilt else { return false }
                let seed = PendingKeyHash.seed(destination: row.text(0))
                for position in positions where position < count && !settled.contains(position) {
                    let hash = PendingKeyHash.of(seed: seed, key: entries.keyBytes(position))
                    keys.forget(hash: hash, message: StoredBatch.messageID(batch: batch, position: position))
                }
                return false
            }
            guard let count = batchCount else { continue }
            let fresh = positions.filter { $0 < count && !settled.contains($0) }
            if settled.count + fresh.count >= count {
                for delete in deleteBatch {
                    delete.bind(1, batch)
                    try delete.run()
                }
            } else {
                markSettled.bind(1, batch)
                for position in fresh.sorted() {
                    markSettled.bind(2, Int64(position))
                    try markSettled.run()
                }
            }
        }
    }

    /// Counts a failed attempt on claimed messages (they stay claimed).
    public func recordFailure(_ ids: [Int64], reason: String) async throws {
        guard !ids.isEmpty else { return }
        try await write(.fast) { db in
            let upsert = try RawStatement(db, sql: """
                INSERT INTO outbox_failures (batch, position, attempts, last_error) VALUES (?, ?, 1, ?)
                ON CONFLICT (batch, position) DO UPDATE SET attempts = attempts + 1, last_error = excluded.last_error
                """)
            upsert.bind(3, reason)
            for id in ids {
                upsert.bind(1, StoredBatch.batch(of: id))
                upsert.bind(2, Int64(StoredBatch.position(of: id)))
                try upsert.run()
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
        try await write { db in
            let insert = try RawStatement(db, sql: """
                INSERT INTO dead_letters (destination, key, payload, reason, attempts, enqueued_at, failed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            insert.bind(7, now)
            let select = try RawStatement(db, sql: "SELECT destination, count, enqueued_at, entries, payloads FROM outbox_batches WHERE id = ?")
            for refusal in refusals {
                let batch = StoredBatch.batch(of: refusal.id)
                let position = StoredBatch.position(of: refusal.id)
                guard try !Self.settledPositions(of: batch, db).contains(position) else { continue }
                let attempts = try Self.failedAttempts(of: batch, db)[position] ?? 0
                select.bind(1, batch)
                try select.rows { row in
                    let count = Int(row.int64(1))
                    guard position < count else { return false }
                    let payloads = row.blobBytes(4)
                    let entries = try Self.entries(of: batch, row.blobBytes(3), count: count, payloads: payloads)
                    insert.bind(1, row.text(0))
                    insert.bind(2, entries.key(position))
                    insert.bind(3, blob: entries.payload(position, in: payloads))
                    insert.bind(4, refusal.reason)
                    insert.bind(5, Int64(attempts + 1))
                    insert.bind(6, row.double(2))
                    try insert.run()
                    return false
                }
            }
            try self.pendingKeys.withLock { keys in try Self.settle(refusals.map(\.id), keys: &keys, db) }
        }
        leases.withLock { $0.forget(refusals.map(\.id)) }
    }

    private struct Refusal: Sendable {
        var id: Int64
        var reason: String
    }

    // MARK: Inspecting

    /// Message counts, for one destination or for all.
    public func counts(destination: String?) async throws -> OutboxCounts {
        let leased = leases.withLock { leases in
            destination.map { destination in leases.destinationOf.values.count { $0 == destination } } ?? leases.destinationOf.count
        }
        return try await read { db in
            let filter = destination == nil ? "" : "WHERE destination = ?"
            let arguments: StatementArguments = destination.map { [$0] } ?? []
            let stored = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(count), 0) FROM outbox_batches \(filter)", arguments: arguments) ?? 0
            let settled = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM outbox_settled JOIN outbox_batches ON outbox_batches.id = outbox_settled.batch \(filter)
                """, arguments: arguments) ?? 0
            let dead = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dead_letters \(filter)", arguments: arguments) ?? 0
            return OutboxCounts(pending: stored - settled, leased: leased, deadLetters: dead)
        }
    }

    /// Destinations that have pending messages.
    public func pendingDestinations() async throws -> [String] {
        try await read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT destination FROM outbox_batches ORDER BY destination")
        }
    }

    /// Pending messages in enqueue order (for inspection; does not claim them).
    public func pending(destination: String? = nil, limit: Int = 100) async throws -> [OutboxEntry] {
        try await read { db in
            var entries: [OutboxEntry] = []
            guard limit > 0 else { return entries }
            try Self.forEachPending(destination: destination, after: 0, db) { message in
                entries.append(message.entry)
                return entries.count < limit
            }
            return entries
        }
    }
}

extension Outbox {
    /// One deliverer per file: an `flock` on `<outbox>.deliver-lock`, which the kernel drops if
    /// the process dies. Throws ``DeliveryFailure/busy(_:)`` when another process holds it.
    public func lockForDelivery() throws(DeliveryFailure) -> any OutboxDeliveryLock {
        guard let lock = FileLock.tryLock(path + ".deliver-lock") else {
            throw DeliveryFailure.busy("another process is delivering from \(path)")
        }
        return lock
    }
}
