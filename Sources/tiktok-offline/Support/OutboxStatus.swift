import Delivery
import OutboxSQLite
import ArgumentParser
import Runtime
import ConversionEngine
import Foundation
import TikTokOffline
import TikTokEventsAPI

/// Opening an outbox for a command, and the exit for each outbox problem, worded for the user
/// (SQLite's own text never stands alone).
enum OutboxStatus {
    /// Whether `--outbox` names a PostgreSQL database rather than a SQLite file.
    static func isPostgres(_ value: String) -> Bool { OutboxLocation(value).isShared }

    /// `--outbox` as it may be printed: a URL's password is redacted.
    static func shown(_ value: String) -> String { OutboxLocation(value).description }

    /// Opens the store `--outbox` names (``OutboxLocation``). A problem ends the command with its status.
    static func openStore(_ value: String, configuration: Outbox.Configuration = .init()) async throws -> any OutboxStore {
        do {
            return try await OutboxLocation(value).open(sqlite: configuration)
        } catch {
            throw exit(for: error)
        }
    }

    /// Opens the SQLite outbox; a problem ends the command with its status (7 damaged, 8 otherwise).
    static func open(_ path: String, configuration: Outbox.Configuration = .init()) throws -> Outbox {
        do {
            return try OutboxLocation(path).openFile(configuration: configuration)
        } catch {
            throw exit(for: error)
        }
    }

    /// Prints what to do about `error` and returns the exit to throw.
    static func exit(for error: OutboxError) -> ExitCode {
        switch error.kind {
        case .damaged:
            Terminal.error("""
                error: \(error). Nothing more is accepted into it or sent from it, and nothing in it is deleted. \
                Save its readable events with `tiktok-offline outbox recover --outbox \(error.path) --to NEW.sqlite`, \
                then run again with --outbox NEW.sqlite.
                """)
            return ExitCode(RunExitStatus.outboxDamaged.rawValue)
        case .busy:
            Terminal.error("error: \(error). Try again when the other process has finished.")
            return ExitCode(RunExitStatus.outboxBusy.rawValue)
        case .full, .unavailable, .unreachable, .other:
            Terminal.error("error: \(error)")
            return ExitCode(RunExitStatus.outboxFailed.rawValue)
        }
    }

    /// Events pending for `route` (live and test), or the exit for an unreadable outbox.
    static func pending(in outbox: any OutboxStore, for route: TikTokRoute) async throws -> Int {
        do {
            return try await outbox.pendingCount(for: route)
        } catch {
            throw exit(for: error as? OutboxError ?? OutboxError(kind: .other, path: outbox.location, message: "\(error)"))
        }
    }
}
