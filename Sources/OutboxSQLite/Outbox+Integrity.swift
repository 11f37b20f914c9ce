import Delivery
import Foundation
import GRDB
import GRDBSQLite
import JSONKit

/// What ``Outbox/recover(from:into:)`` saved from a damaged outbox file.
public struct OutboxRecovery: Sendable, Hashable {
    /// Pending messages copied into the new outbox.
    public var savedPending = 0
    /// Dead letters copied into the new outbox.
    public var savedDeadLetters = 0
    /// Pending messages that could not be read (their stored batch was damaged), as far as
    /// they could be counted.
    public var lostPending = 0
    /// Stored batches that could not be read and whose message count is unknown too.
    public var uncountedBatches = 0
    /// Dead letters that could not be read.
    public var lostDeadLetters = 0
    /// What could not be read, in words (at most 50 lines).
    public var problems: [String] = []

    /// Whether everything was read.
    public var isComplete: Bool { lostPending == 0 && uncountedBatches == 0 && lostDeadLetters == 0 }

    mutating func note(_ problem: String) {
        if problems.count < 50 { problems.append(problem) }
    }
}

extension Outbox {
    /// Checks the open outbox file: SQLite's `quick_check` of every page, every pending
    /// payload against its checksum, and the counts.
    public func check() async throws -> OutboxCheck {
        let path = location
        return try await read { db in Self.inspect(db, path: path) }
    }

    /// Checks the outbox file at `path` without changing it: SQLite's `quick_check` of every
    /// page (which reads the whole file), every pending payload against its checksum, and the
    /// counts where they can be read.
    ///
    /// - Throws: ``OutboxError`` when the file cannot be read at all (a file SQLite does not
    ///   recognise is reported as damaged, not thrown).
    public static func check(path: String) async throws -> OutboxCheck {
        do {
            return try await withPrivateCopy(of: path) { copy in try await copy.writeWithoutTransaction { db in inspect(db, path: path) } }
        } catch let error as OutboxError where error.isDamaged {
            return OutboxCheck(problems: [error.message], pending: nil, deadLetters: nil, batches: nil)
        }
    }

    /// The quick_check and the counts, each read on its own so that damage in one leaves the others.
    private static func inspect(_ db: Database, path: String) -> OutboxCheck {
        var problems: [String]
        do {
            problems = try quickCheck(db)
        } catch {
            problems = [OutboxError(error, path: path).message]
        }
        if let damaged = try? damagedPayloads(db), damaged.events > 0 {
            problems.append("""
                \(damaged.events) pending event\(damaged.events == 1 ? "" : "s") in \(damaged.batches) stored batch\(damaged.batches == 1 ? "" : "es") \
                no longer match\(damaged.events == 1 ? "es" : "") its checksum: delivery dead-letters them unsent, and recover leaves them out
                """)
        }
        let batches = try? Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox_batches")
        let stored = try? Int.fetchOne(db, sql: "SELECT COALESCE(SUM(count), 0) FROM outbox_batches")
        let settled = try? Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox_settled")
        let dead = try? Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dead_letters")
        var pending: Int?
        if let stored, let settled { pending = stored - settled }
        return OutboxCheck(problems: problems, pending: pending, deadLetters: dead, batches: batches)
    }

    /// How many pending payloads no longer match their checksums, and in how many batches.
    private static func damagedPayloads(_ db: Database) throws -> (events: Int, batches: Int) {
        var result = (events: 0, batches: 0)
        let select = try RawStatement(db, sql: "SELECT id, count, entries, payloads, sums FROM outbox_batches ORDER BY id")
        try select.rows { row in
            let batch = row.int64(0)
            let sums = row.blobBytes(4)
            guard !sums.isEmpty else { return true }
            let payloads = row.blobBytes(3)
            guard let entries = try? Self.entries(of: batch, row.blobBytes(2), count: Int(row.int64(1)), payloads: payloads) else { return true }
            let settled = try settledPositions(of: batch, db)
            let damaged = (0..<entries.count).count { position in
                !settled.contains(position) && !StoredBatch.isIntact(entries.payloadBytes(position, in: payloads), position: position, sums: sums)
            }
            if damaged > 0 {
                result.events += damaged
                result.batches += 1
            }
            return true
        }
        return result
    }

    /// Copies every readable pending message and dead letter of the (damaged) outbox file at
    /// `damagedPath` into `target`, in their order, each pending message under its destination
    /// and key (so it is sent with the same `event_id`). The damaged file is never changed: it
    /// is read from a copy.
    ///
    /// A message counts as readable when its bytes can be reached (the pages of its stored
    /// batch are followed from the start up to the first damaged one), its key is text and its
    /// payload is JSON that matches its checksum; the others are counted as lost. Where the record of which
    /// messages of a batch were already delivered cannot be read, all of them are saved (sent
    /// again, they carry the same key, which the destination deduplicates). Failed-attempt counts
    /// start again from zero.
    public static func recover(from damagedPath: String, into target: Outbox) async throws -> OutboxRecovery {
        // Read in steps of a thousand rows, each written to the target before the next is read,
        // outside transactions: SQLite may end one on meeting damage, and each row should be
        // read or lost on its own.
        var recovery = OutboxRecovery()
        try await withPrivateCopy(of: damagedPath) { source in
            let ids = try await source.writeWithoutTransaction { db in
                (batches: (try? maxID(db, table: "outbox_batches")) ?? 0, deadLetters: (try? maxID(db, table: "dead_letters")) ?? 0)
            }
            var batch: Int64 = 1
            while batch <= ids.batches {
                // A thousand rows at a time: reading stays in one transaction per step.
                let range = batch...min(ids.batches, batch + 999)
                let step = try await source.writeWithoutTransaction { db in
                    var found: [(destination: String, enqueuedAt: Double, messages: [OutboxMessage])] = []
                    var stepRecovery = OutboxRecovery()
                    for id in range {
                        if let read = readBatch(id, db, into: &stepRecovery) { found.append(read) }
                    }
                    return (found, stepRecovery)
                }
                recovery.lostPending += step.1.lostPending
                recovery.uncountedBatches += step.1.uncountedBatches
                for problem in step.1.problems { recovery.note(problem) }
                for read in step.0 where !read.messages.isEmpty {
                    let stored = try await target.write { db in
                        try target.store(read.messages, destination: read.destination, enqueuedAt: read.enqueuedAt, db)
                    }
                    recovery.savedPending += stored.count { $0 != nil }
                }
                batch = range.upperBound + 1
            }
            var letter: Int64 = 1
            while letter <= ids.deadLetters {
                let range = letter...min(ids.deadLetters, letter + 999)
                let step = try await source.writeWithoutTransaction { db in
                    var rows: [[DatabaseValue]] = []
                    var lost: [Int64] = []
                    for id in range {
                        do {
                            if let row = try Row.fetchOne(db, sql: """
                                SELECT destination, key, payload, reason, attempts, enqueued_at, failed_at FROM dead_letters WHERE id = ?
                                """, arguments: [id]) { rows.append(Array(row.databaseValues)) }
                        } catch {
                            lost.append(id)
                        }
                    }
                    return (rows, lost)
                }
                for id in step.1 { recovery.note("dead letter \(id) could not be read") }
                recovery.lostDeadLetters += step.1.count
                let rows = step.0
                try await target.write { db in
                    for row in rows {
                        try db.execute(sql: """
                            INSERT INTO dead_letters (destination, key, payload, reason, attempts, enqueued_at, failed_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?)
                            """, arguments: StatementArguments(row))
                    }
                }
                recovery.savedDeadLetters += rows.count
                letter = range.upperBound + 1
            }
        }
        return recovery
    }

    /// The pending messages of stored batch `id`, or nil (and the loss noted) when it cannot
    /// be read whole; nil without a note when there is no such batch.
    private static func readBatch(
        _ id: Int64, _ db: Database, into recovery: inout OutboxRecovery
    ) -> (destination: String, enqueuedAt: Double, messages: [OutboxMessage])? {
        func lose(_ why: String) {
            if let count = try? Int.fetchOne(db, sql: "SELECT count FROM outbox_batches WHERE id = ?", arguments: [id]) {
                let settled = (try? Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox_settled WHERE batch = ?", arguments: [id])) ?? 0
                recovery.lostPending += max(0, count - settled)
                recovery.note("stored batch \(id): \(why); \(max(0, count - settled)) pending events lost")
            } else {
                recovery.uncountedBatches += 1
                recovery.note("stored batch \(id): \(why); its event count cannot be read either")
            }
        }
        let header: Row?
        do {
            header = try Row.fetchOne(db, sql: "SELECT destination, count, enqueued_at FROM outbox_batches WHERE id = ?", arguments: [id])
        } catch {
            lose("unreadable (\(OutboxError(error, path: "").message))")
            return nil
        }
        guard let header else { return nil }
        guard let destination = header[0] as String?, let count = header[1] as Int?, let enqueuedAt = header[2] as Double? else {
            lose("a column is missing or of the wrong type")
            return nil
        }
        var settled = Set<Int>()
        do {
            settled = Set(try Int.fetchAll(db, sql: "SELECT position FROM outbox_settled WHERE batch = ?", arguments: [id]))
        } catch {
            recovery.note("stored batch \(id): which of its events were delivered cannot be read; all are saved")
        }
        // The blobs are read as far as their pages can be followed: the messages before a
        // damaged page are saved even when the ones after it cannot be reached.
        let entriesBytes = readablePrefix(db, column: "entries", row: id)
        let payloadsBytes = readablePrefix(db, column: "payloads", row: id)
        // Batches stored before checksums have none (NULL): their payloads are taken unchecked.
        let sums = ((try? Data.fetchOne(db, sql: "SELECT sums FROM outbox_batches WHERE id = ?", arguments: [id])) ?? nil).map { [UInt8]($0) }
        guard entriesBytes.complete else {
            lose("the index of its events is damaged")
            return nil
        }
        var messages: [OutboxMessage] = []
        var unreadable = 0
        let readable: Bool = entriesBytes.bytes.withUnsafeBytes { entriesBuffer in
            payloadsBytes.bytes.withUnsafeBytes { payloads in
                guard let entries = StoredBatch.Entries(entriesBuffer, count: count) else { return false }
                for position in 0..<entries.count where !settled.contains(position) {
                    let entry = entries.entries[position]
                    guard entry.payloadStart + entry.payloadCount <= payloads.count,
                        let key = String(validating: entries.keyBytes(position), as: UTF8.self)
                    else {
                        unreadable += 1
                        continue
                    }
                    let payload = entries.payload(position, in: payloads)
                    let intact = (sums ?? []).withUnsafeBytes { sums in
                        payload.withUnsafeBytes { StoredBatch.isIntact($0, position: position, sums: sums) }
                    }
                    guard intact, (try? payload.withUnsafeBytes({ try JSON.parse(bytes: $0) })) != nil else {
                        unreadable += 1
                        continue
                    }
                    messages.append(OutboxMessage(key: key, payload: payload))
                }
                return true
            }
        }
        guard readable else {
            lose("the index of its events is damaged")
            return nil
        }
        if unreadable > 0 {
            recovery.lostPending += unreadable
            recovery.note("stored batch \(id): \(unreadable) of its pending events are on damaged pages and lost; \(messages.count) saved")
        }
        return (destination, enqueuedAt, messages)
    }

    /// As many bytes of a stored batch's blob as can be read, from its start, in 512-byte
    /// steps; `complete` when that is all of it.
    private static func readablePrefix(_ db: Database, column: String, row: Int64) -> (bytes: [UInt8], complete: Bool) {
        var blob: OpaquePointer?
        guard sqlite3_blob_open(db.sqliteConnection, "main", "outbox_batches", column, row, 0, &blob) == SQLITE_OK, let blob else {
            if let blob { sqlite3_blob_close(blob) }
            return ([], false)
        }
        defer { sqlite3_blob_close(blob) }
        let size = Int(sqlite3_blob_bytes(blob))
        var bytes = [UInt8](repeating: 0, count: size)
        var offset = 0
        while offset < size {
            let step = min(512, size - offset)
            let status = bytes.withUnsafeMutableBytes { buffer in
                sqlite3_blob_read(blob, buffer.baseAddress! + offset, Int32(step), Int32(offset))
            }
            guard status == SQLITE_OK else { break }
            offset += step
        }
        bytes.removeLast(size - offset)
        return (bytes, offset == size)
    }

    /// The largest id a table has handed out (AUTOINCREMENT), or its largest row id.
    private static func maxID(_ db: Database, table: String) throws -> Int64 {
        if let sequence = try? Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = ?", arguments: [table]) {
            return sequence
        }
        return try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM \(table)") ?? 0
    }

    /// Runs `body` on a private copy of the outbox file (and its write-ahead log) in a temporary
    /// folder, so that reading it never changes the original. `body` should read outside
    /// transactions (`writeWithoutTransaction`): SQLite may end one on meeting damage, and each
    /// statement should succeed or fail on its own. Only the copy is touched.
    private static func withPrivateCopy<T>(of path: String, _ body: (DatabaseQueue) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-copy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let copy = try copyFiles(of: path, into: directory)
        do {
            return try await body(try DatabaseQueue(path: copy))
        } catch {
            throw OutboxError(error, path: path)
        }
    }

    /// Copies the database file and its `-wal` (if any) into `directory`; returns the copy's path.
    private static func copyFiles(of path: String, into directory: URL) throws -> String {
        let files = FileManager.default
        guard files.fileExists(atPath: path) else {
            throw OutboxError(kind: .unavailable, path: path, message: "there is no outbox file here")
        }
        do {
            try files.createDirectory(at: directory, withIntermediateDirectories: true)
            let copy = directory.appendingPathComponent("outbox.sqlite").path
            try files.copyItem(atPath: path, toPath: copy)
            if files.fileExists(atPath: path + "-wal") { try files.copyItem(atPath: path + "-wal", toPath: copy + "-wal") }
            return copy
        } catch {
            throw OutboxError(kind: .unavailable, path: path, message: "cannot copy the outbox file to read it (\(error.localizedDescription))")
        }
    }
}
