import ArgumentParser
import ConversionEngine
import Delivery
import Foundation
import JSONKit
import MappingKit
import TikTokOffline

/// `tiktok-offline dead-letters list|replay|purge`: the events TikTok refused, with its reasons.
struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "List, replay or purge events TikTok refused.",
        subcommands: [List.self, Replay.self, Purge.self],
        defaultSubcommand: List.self
    )

    struct OutboxOptions: ParsableArguments {
        @Option(help: "The outbox: a SQLite file, or a postgres:// URL of a shared one.")
        var outbox: String = RunCommand.defaultOutboxPath

        /// Runs `body` on the opened outbox and closes it after.
        func withOutbox<T>(_ body: (any OutboxStore) async throws -> T) async throws -> T {
            guard OutboxStatus.isPostgres(outbox) || FileManager.default.fileExists(atPath: outbox) else {
                throw CommandError("no outbox at \(OutboxStatus.shown(outbox)) (use --outbox PATH or --outbox postgres://…)")
            }
            let store = try await OutboxStatus.openStore(outbox)
            do {
                let result = try await body(store)
                await store.close()
                return result
            } catch {
                await store.close()
                throw error
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show dead letters, oldest first.")

        @OptionGroup var options: OutboxOptions

        @Option(help: "Show at most this many.")
        var limit: Int = 100

        @Flag(help: "One JSON object per line, with the payload sent (identifiers are hashed).")
        var json = false

        func run() async throws {
            let (letters, total) = try await options.withOutbox { outbox in
                (try await outbox.deadLetters(limit: limit), try await outbox.counts().deadLetters)
            }
            for letter in letters {
                if json {
                    let payload = (try? JSON.parse(bytes: letter.payload)) ?? .null
                    let line: JSON = [
                        "id": .int(Int(letter.id)), "destination": .string(letter.destination),
                        "event": .string(letter.tiktokEvent.event), "event_id": .string(letter.tiktokEvent.eventID),
                        "reason": .string(letter.reason), "attempts": .int(letter.attempts),
                        "failed_at": .string(ISO8601DateFormatter().string(from: letter.failedAt)), "payload": payload,
                    ]
                    print(line.serialized())
                } else {
                    print("#\(letter.id)  \(ISO8601DateFormatter().string(from: letter.failedAt))  \(letter.tiktokEvent.event) \(letter.tiktokEvent.eventID)")
                    print("    \(letter.reason)")
                }
            }
            if !json {
                print(total == 0 ? "No dead letters." : "\(letters.count) of \(total) dead letters shown.")
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put dead letters back in the outbox, for `deliver` (or a `run` or `serve` delivering from it) to send."
        )

        @OptionGroup var options: OutboxOptions

        @Option(name: .customLong("id"), help: "Replay only these (repeatable); all when omitted.")
        var ids: [Int64] = []

        func run() async throws {
            let count = try await options.withOutbox { try await $0.replayDeadLetters(ids: ids.isEmpty ? nil : ids) }
            print("""
                Replayed \(count) dead letter\(count == 1 ? "" : "s") into the outbox. To send them: \
                TIKTOK_ACCESS_TOKEN=… tiktok-offline deliver --outbox \(OutboxStatus.shown(options.outbox)) --event-set-id YOUR_SET \
                (add --endpoint for a stand-in); a serve or deliver --follow on this outbox sends them by itself.
                """)
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete dead letters for good.")

        @OptionGroup var options: OutboxOptions

        @Option(name: .customLong("id"), help: "Purge only these (repeatable).")
        var ids: [Int64] = []

        @Flag(help: "Purge every dead letter.")
        var all = false

        func validate() throws {
            guard all != !ids.isEmpty else { throw ValidationError("give either --id ID… or --all") }
        }

        func run() async throws {
            let count = try await options.withOutbox { try await $0.purgeDeadLetters(ids: all ? nil : ids) }
            print("Purged \(count) dead letters.")
        }
    }
}
