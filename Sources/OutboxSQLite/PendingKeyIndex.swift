import GRDB

/// Which keys are pending, so that an `enqueue` stores a key at most once (the idempotence
/// ``OutboxStore`` promises).
///
/// The stored batches hold every key (their `entries` blob); this is an index of them in
/// memory, from ``PendingKeyHash`` to message id, brought up to date at the start of each
/// storing transaction from the batches stored since it last looked, by this process or
/// another (the transaction holds the file's write lock, so nothing is stored meanwhile). A
/// hit is checked against its stored batch, which any process may have settled since: the
/// index may hold stale ids, never give a wrong answer.
///
/// Why in memory and not a table: a row per pending message, at random places in its B-tree,
/// made every commit rewrite most of that table's pages (12 % of a `run`'s time went there).
/// What it costs instead is about 30 bytes of memory per pending message, and reading the new
/// batches' `entries` (40 bytes or so per message). Keys settled by other processes stay in
/// the index until it is rebuilt, which it is once it holds twice what its last build found.
///
/// Used inside write transactions only (which one process runs one at a time).
struct PendingKeyIndex: Sendable {
    private var messageOf: [Int64: Int64] = [:]
    /// The newest batch read or stored; nil until the index is built, and again after a
    /// transaction failed (the index may hold what that transaction stored, the file does not).
    private var readThrough: Int64?
    private var rebuildAbove = Self.minimumRebuildSize
    /// Below this many keys the index is never rebuilt for size.
    static let minimumRebuildSize = 1 << 16

    /// Keys in the index, stale ones included.
    var count: Int { messageOf.count }

    var isBuilt: Bool { readThrough != nil }

    /// Reads the batches stored since the index last looked, or builds it from every stored
    /// batch when it is not built or has grown past its bound. Inside a write transaction.
    mutating func catchUp(_ db: Database) throws {
        if let readThrough, messageOf.count <= rebuildAbove {
            try read(after: readThrough, db)
            return
        }
        messageOf = [:]
        readThrough = 0
        try read(after: 0, db)
        rebuildAbove = max(2 * messageOf.count, Self.minimumRebuildSize)
    }

    private mutating func read(after batch: Int64, _ db: Database) throws {
        let select = try RawStatement(db, sql: "SELECT id, destination, count, entries FROM outbox_batches WHERE id > ? ORDER BY id")
        select.bind(1, batch)
        try select.rows { row in
            let batch = row.int64(0)
            let seed = PendingKeyHash.seed(destination: row.text(1))
            let entries = try Outbox.entries(of: batch, row.blobBytes(3), count: Int(row.int64(2)))
            let settled = try Outbox.settledPositions(of: batch, db)
            for position in 0..<entries.count where !settled.contains(position) {
                let hash = PendingKeyHash.of(seed: seed, key: entries.keyBytes(position))
                messageOf[hash] = StoredBatch.messageID(batch: batch, position: position)
            }
            readThrough = batch
            return true
        }
    }

    /// The message that last held a key with this hash, if the index knows one (check it).
    func candidate(for hash: Int64) -> Int64? { messageOf[hash] }

    /// A message stored by this transaction. A key whose hash another pending key holds takes
    /// the entry over: the other key is then no longer found pending (enqueued again it would
    /// be sent again, with its event_id for the destination to deduplicate); nothing is ever
    /// taken for a duplicate by mistake.
    mutating func stored(hash: Int64, message id: Int64) {
        guard let readThrough else { return }
        messageOf[hash] = id
        self.readThrough = max(readThrough, StoredBatch.batch(of: id))
    }

    /// A message settled (confirmed or dead-lettered) by this transaction, or found stale.
    mutating func forget(hash: Int64, message id: Int64) {
        if messageOf[hash] == id { messageOf[hash] = nil }
    }

    /// Drops everything; the next ``catchUp(_:)`` builds the index again.
    mutating func invalidate() {
        messageOf = [:]
        readThrough = nil
    }
}
