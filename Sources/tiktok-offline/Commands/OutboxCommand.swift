import ArgumentParser
import ConversionEngine
import Delivery
import Foundation
import JSONKit
import MappingKit
import OutboxSQLite

/// `tiktok-offline outbox check|recover`: the outbox's health, and a way out of a damaged file.
struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Check an outbox, or recover the events of a damaged outbox file.",
        subcommands: [Check.self, Recover.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check an outbox for damage and count what it holds.",
            discussion: """
                A file: reads every page (SQLite's quick_check) of a copy of it; the file itself is not \
                changed. Run it while no other process uses the outbox. A postgres:// URL: checks that \
                the server takes writes (not a standby left by a failover) and that the index keeping \
                enqueue idempotent is valid; safe while workers run. Exit status: 0 sound, \
                7 damaged (see `outbox recover`), 8 the outbox cannot be read at all.
                """
        )

        @Option(help: "The outbox: a SQLite file, or a postgres:// URL of a shared one.")
        var outbox: String = RunCommand.defaultOutboxPath

        @Flag(help: "Print the result as one JSON object.")
        var json = false

        func run() async throws {
            let check: OutboxCheck
            if OutboxStatus.isPostgres(outbox) {
                let store = try await OutboxStatus.openStore(outbox)
                do {
                    check = try await store.check()
                    await store.close()
                } catch {
                    await store.close()
                    throw OutboxStatus.exit(for: error as? OutboxError ?? OutboxError(kind: .other, path: store.location, message: "\(error)"))
                }
            } else {
                do {
                    check = try await Outbox.check(path: outbox)
                } catch {
                    throw OutboxStatus.exit(for: OutboxError(error, path: outbox))
                }
            }
            let outbox = OutboxStatus.shown(outbox)
            if json {
                let line: JSON = [
                    "outbox": .string(outbox), "sound": .bool(check.isSound),
                    "problems": .array(check.problems.map(JSON.string)),
                    "pending": check.pending.map(JSON.int) ?? .null, "dead_letters": check.deadLetters.map(JSON.int) ?? .null,
                    "stored_batches": check.batches.map(JSON.int) ?? .null,
                ]
                print(line.serialized())
            } else {
                func count(_ value: Int?) -> String { value.map(String.init) ?? "unreadable" }
                print("outbox         \(outbox)")
                print("integrity      \(check.isSound ? "sound" : "DAMAGED")")
                for problem in check.problems { print("  \(problem)") }
                print("pending        \(count(check.pending)) events")
                print("dead letters   \(count(check.deadLetters))")
                if check.batches != nil || !OutboxStatus.isPostgres(outbox) { print("stored batches \(count(check.batches))") }
                if !check.isSound && !OutboxStatus.isPostgres(outbox) {
                    print("Save its readable events with `tiktok-offline outbox recover --outbox \(outbox) --to NEW.sqlite`.")
                }
            }
            if !check.isSound { throw ExitCode(RunExitStatus.outboxDamaged.rawValue) }
        }
    }

    struct Recover: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy every readable pending event and dead letter of a damaged outbox into a new one.",
            discussion: """
                Reads a copy of the damaged file (which is never changed or deleted) and stores every \
                event it can read whole into the new outbox, in order, with its key: sent from there, each \
                goes with the same event_id. Reports how many events were saved and how many could not \
                be read. Exit status: 0 recovery ran (see its counts), 1 the new outbox already exists, \
                8 the damaged file cannot be read at all.
                """
        )

        @Option(help: "The damaged outbox file.")
        var outbox: String = RunCommand.defaultOutboxPath

        @Option(help: "The new outbox file to create.")
        var to: String

        @Flag(help: "Print the result as one JSON object.")
        var json = false

        func validate() throws {
            guard !OutboxStatus.isPostgres(outbox) && !OutboxStatus.isPostgres(to) else {
                throw ValidationError("recover reads damaged SQLite files; a PostgreSQL outbox is restored from the server's own backups")
            }
            guard !FileManager.default.fileExists(atPath: to) else {
                throw ValidationError("\(to) already exists: give --to a new file")
            }
            guard URL(fileURLWithPath: to).standardizedFileURL != URL(fileURLWithPath: outbox).standardizedFileURL else {
                throw ValidationError("--to must name another file than --outbox")
            }
        }

        func run() async throws {
            let target = try OutboxStatus.open(to)
            let recovery: OutboxRecovery
            do {
                recovery = try await Outbox.recover(from: outbox, into: target)
            } catch {
                throw OutboxStatus.exit(for: OutboxError(error, path: outbox))
            }
            if json {
                let line: JSON = [
                    "from": .string(outbox), "to": .string(to),
                    "saved_pending": .int(recovery.savedPending), "saved_dead_letters": .int(recovery.savedDeadLetters),
                    "lost_pending": .int(recovery.lostPending), "uncounted_batches": .int(recovery.uncountedBatches),
                    "lost_dead_letters": .int(recovery.lostDeadLetters), "problems": .array(recovery.problems.map(JSON.string)),
                ]
                print(line.serialized())
            } else {
                print("saved          \(recovery.savedPending) pending events, \(recovery.savedDeadLetters) dead letters into \(to)")
                print("not readable   \(recovery.lostPending) pending events\(recovery.uncountedBatches > 0 ? " and \(recovery.uncountedBatches) stored batches of unknown size" : ""), \(recovery.lostDeadLetters) dead letters")
                for problem in recovery.problems { print("  \(problem)") }
                print("\(outbox) is left as it was. Deliver the saved events with `tiktok-offline run --outbox \(to) …`.")
            }
        }
    }
}
