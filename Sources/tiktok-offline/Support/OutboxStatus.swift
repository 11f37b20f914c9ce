import Delivery
import OutboxSQLite
import ArgumentParser
import ConversionEngine
import Foundation
import TikTokOffline

/// Opening an outbox for a command, and the exit for each outbox problem, worded for the user
/// (SQLite's own text never stands alone).
enum OutboxStatus {
    /// Opens the outbox; a problem ends the command with its status (7 damaged, 8 otherwise).
    static func open(_ path: String, configuration: Outbox.Configuration = .init()) throws -> Outbox {
        do {
            return try Outbox(path: path, configuration: configuration)
        } catch {
            throw exit(for: OutboxError(error, path: path))
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
        case .full, .unavailable, .other:
            Terminal.error("error: \(error)")
            return ExitCode(RunExitStatus.outboxFailed.rawValue)
        }
    }

    /// Events pending for `route` (live and test), or the exit for an unreadable outbox.
    static func pending(in outbox: Outbox, for route: TikTokRoute) async throws -> Int {
        do {
            return try await outbox.pendingCount(for: route)
        } catch {
            throw exit(for: OutboxError(error, path: outbox.path))
        }
    }
}
