import GRDB

/// What went wrong with an outbox file, worded for the person running the tool: SQLite's own
/// text never reaches them alone.
///
/// ``isDamaged`` errors mean the file itself is corrupt: an ``Outbox`` that meets one stops
/// accepting and delivering (every later call throws the same error) and the way out is
/// `tiktok-offline outbox recover`, which copies every readable event into a new file.
public struct OutboxError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The file is corrupt (SQLite's "malformed" or "not a database").
        case damaged
        /// Another process holds the file longer than the busy timeout.
        case busy
        /// The disk or the file system is full.
        case full
        /// The file cannot be opened, read or written (missing folder, permissions, I/O error).
        case unavailable
        /// Anything else SQLite reported.
        case other
    }

    public var kind: Kind
    public var path: String
    /// What happened, in words; SQLite's detail follows in parentheses where it helps.
    public var message: String

    public init(kind: Kind, path: String, message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var isDamaged: Bool { kind == .damaged }

    public var description: String { "\(path): \(message)" }

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

    /// The words for `error` when no path is at hand (delivery reports).
    public static func describe(_ error: any Error) -> String {
        if let error = error as? OutboxError { return error.description }
        if error is DatabaseError { return OutboxError(error, path: "outbox").message }
        return "\(error)"
    }
}
