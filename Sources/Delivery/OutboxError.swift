/// What went wrong with an outbox, worded for the person running the tool: a database's own
/// text never reaches them alone. Every ``OutboxStore`` throws these.
///
/// ``isDamaged`` errors mean the store itself is corrupt: a store that meets one stops
/// accepting and delivering (every later call throws the same error); for the SQLite outbox
/// the way out is `tiktok-offline outbox recover`, which copies every readable event into a new file.
public struct OutboxError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The store is corrupt (SQLite's "malformed" or "not a database").
        case damaged
        /// Another process holds the file longer than the busy timeout.
        case busy
        /// The disk or the file system is full.
        case full
        /// The file cannot be opened, read or written (missing folder, permissions, I/O error).
        case unavailable
        /// The database server cannot be reached or dropped the connection (restart, failover,
        /// network): a passing condition; the same call may succeed once it is back.
        case unreachable
        /// Anything else the database reported.
        case other
    }

    public var kind: Kind
    /// The store's location (``OutboxStore/location``), with any password redacted
    /// (``redactedLocation(_:)``): errors are printed and logged.
    public var path: String
    /// What happened, in words; the database's detail follows in parentheses where it helps.
    public var message: String

    public init(kind: Kind, path: String, message: String) {
        self.kind = kind
        self.path = redactedLocation(path)
        self.message = message
    }

    public var isDamaged: Bool { kind == .damaged }

    /// Whether waiting and calling again may succeed (``Kind/unreachable``).
    public var isTransient: Bool { kind == .unreachable }

    public var description: String { "\(path): \(message)" }

    /// The words for `error` when no path is at hand (delivery reports).
    public static func describe(_ error: any Error) -> String {
        if let error = error as? OutboxError { return error.description }
        return "\(error)"
    }
}
