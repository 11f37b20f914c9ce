import Delivery
import Foundation
import GRDB

extension Outbox {
    /// Dead letters, oldest first.
    public func deadLetters(destination: String? = nil, limit: Int = 100, after id: Int64 = 0) async throws -> [DeadLetter] {
        try await read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, destination, key, payload, reason, attempts, failed_at FROM dead_letters
                    WHERE id > ? \(destination == nil ? "" : "AND destination = ?") ORDER BY id LIMIT ?
                    """,
                arguments: [id] + (destination.map { [$0] } ?? []) + [limit]
            )
            return rows.map { row in
                DeadLetter(
                    id: row[0], destination: row[1], key: row[2], payload: [UInt8](row[3] as Data),
                    reason: row[4], attempts: row[5], failedAt: Date(timeIntervalSince1970: row[6])
                )
            }
        }
    }

    /// Puts dead letters back in the outbox (all of them when `ids` is nil) with a fresh attempt count.
    ///
    /// Returns how many were moved. A dead letter whose key is pending again is dropped as a duplicate.
    @discardableResult
    public func replayDeadLetters(ids: [Int64]? = nil) async throws -> Int {
        let now = Date().timeIntervalSince1970
        return try await write { db in
            let selection = ids == nil ? "" : "WHERE id IN (SELECT value FROM json_each(?))"
            let arguments: StatementArguments = ids.map { [Self.jsonArray($0)] } ?? []
            let rows = try Row.fetchCursor(
                db, sql: "SELECT destination, key, payload FROM dead_letters \(selection) ORDER BY id", arguments: arguments)
            try self.storeInOrder(db) {
                guard let row = try rows.next() else { return nil }
                return (row[0], OutboxMessage(key: row[1], payload: [UInt8](row[2] as Data)), now)
            }
            try db.execute(sql: "DELETE FROM dead_letters \(selection)", arguments: arguments)
            return db.changesCount
        }
    }

    /// Deletes dead letters for good (all of them when `ids` is nil); returns how many.
    @discardableResult
    public func purgeDeadLetters(ids: [Int64]? = nil) async throws -> Int {
        try await write { db in
            if let ids {
                try db.execute(
                    sql: "DELETE FROM dead_letters WHERE id IN (SELECT value FROM json_each(?))",
                    arguments: [Self.jsonArray(ids)]
                )
            } else {
                try db.execute(sql: "DELETE FROM dead_letters")
            }
            return db.changesCount
        }
    }

    private static func jsonArray(_ ids: [Int64]) -> String {
        "[" + ids.map(String.init).joined(separator: ",") + "]"
    }
}
