import Delivery
import Foundation
import OutboxPostgres
import OutboxSQLite

/// Where an outbox lives, as `--outbox` and settings name it, and the store that opens there:
/// a `postgres://` or `postgresql://` URL is the shared PostgreSQL outbox (``PostgresOutbox``),
/// anything else the path of a SQLite file (``Outbox``). One rule for `run`, `serve`, `deliver`
/// and embedders.
public struct OutboxLocation: Sendable, Hashable, CustomStringConvertible {
    /// As given. May hold a password: show ``description`` instead.
    public let value: String

    public init(_ value: String) {
        self.value = value
    }

    /// A database that many processes share, rather than a file of this host.
    public var isShared: Bool {
        value.hasPrefix("postgres://") || value.hasPrefix("postgresql://")
    }

    /// The location as it may be printed or logged: a URL's password is redacted.
    public var description: String { redactedLocation(value) }

    /// Whether there is an outbox there already (a shared one is assumed to exist: opening it
    /// creates its schema).
    public var exists: Bool { isShared || FileManager.default.fileExists(atPath: value) }

    /// Opens (creating where needed) the store at this location. `sqlite` configures a SQLite
    /// outbox; a PostgreSQL one reads its options from the URL. Throws ``OutboxError`` only,
    /// its kind saying what went wrong (damaged, busy, full, unreachable…).
    public func open(sqlite: Outbox.Configuration = .init()) async throws(OutboxError) -> any OutboxStore {
        if isShared {
            do {
                return try await PostgresOutbox(url: value)
            } catch let error as OutboxError {
                throw error
            } catch {
                throw OutboxError(kind: .other, path: description, message: "\(error)")
            }
        }
        return try openFile(configuration: sqlite)
    }

    /// Opens the SQLite outbox at this path (`check`, `recover` and other file-only operations).
    public func openFile(configuration: Outbox.Configuration = .init()) throws(OutboxError) -> Outbox {
        do {
            return try Outbox(path: value, configuration: configuration)
        } catch {
            throw OutboxError(error, path: value)
        }
    }
}
