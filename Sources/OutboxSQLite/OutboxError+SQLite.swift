import Delivery
import GRDB

extension OutboxError {
    /// Explains `error` (usually GRDB's `DatabaseError`) for the outbox at `path`.
    public init(_ error: any Error, path: String) {
        if let error = error as? OutboxError {
            self = error
            return
        }
        guard let error = error as? DatabaseError else {
            self.init(kind: .other, path: path, message: "\(error)")
            return
        }
        let detail = error.message.map { " (\($0))" } ?? ""
        switch error.resultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            self.init(kind: .damaged, path: path, message: "the outbox file is damaged\(detail)")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            self.init(kind: .busy, path: path, message: "another process kept the outbox file locked for too long\(detail)")
        case .SQLITE_FULL:
            self.init(kind: .full, path: path, message: "the disk holding the outbox is full\(detail)")
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_AUTH:
            self.init(kind: .unavailable, path: path, message: "the outbox file cannot be opened, read or written\(detail)")
        default:
            self.init(kind: .other, path: path, message: "the outbox failed\(detail)")
        }
    }
}
