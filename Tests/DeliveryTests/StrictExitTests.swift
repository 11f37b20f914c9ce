import Foundation
import JSONKit
import MappingKit
import ProcessTesting
import Testing

/// `--strict` on `run`, `deliver` and `dry-run`: a cron job learns from the exit status alone
/// that something was refused; without the flag the statuses are what they always were.
/// Real processes against `mock-tiktok --refuse-rate` on loopback.
@Suite("--strict exit statuses (processes)", .serialized, .timeLimit(.minutes(5)))
struct StrictExitTests {
    static let token = "test-token"
    static let eventSetID = "test-event-set-id"

    /// What goes into the input besides 20 deliverable events, and what `--strict` must say.
    enum Trouble: String, CaseIterable, CustomTestStringConvertible {
        case none, unreadable, rejected, unmapped, stale
        var testDescription: String { rawValue }

        var lines: String {
            let now = ISO8601DateFormatter().string(from: Date())
            return switch self {
            case .none: ""
            case .unreadable: "{not json\n"
            case .rejected: #"{"type":"track","event":"Order Completed","messageId":"no-id","timestamp":"\#(now)","properties":{"order_id":"o"}}"# + "\n"
            case .unmapped: #"{"type":"identify","userId":"u-1","messageId":"who","timestamp":"\#(now)"}"# + "\n"
            case .stale: #"{"type":"track","event":"Order Completed","messageId":"old","userId":"u","timestamp":"2020-01-01T00:00:00Z","properties":{"email":"a@example.com","order_id":"o","value":1}}"# + "\n"
            }
        }

        /// The words `strict:` names it with on stderr.
        var named: String? {
            switch self {
            case .none: nil
            case .unreadable: "1 unreadable"
            case .rejected, .stale: "1 rejected"
            case .unmapped: "1 fired no mapping"
            }
        }
    }

    private func input(with trouble: Trouble, in directory: TemporaryDirectory) throws -> String {
        let path = directory.file("events-\(trouble.rawValue).ndjson")
        try SegmentEvents.write(to: path, valid: 20, invalid: 0)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        handle.write(Data(trouble.lines.utf8))
        try handle.close()
        return path
    }

    private func tiktokFlags(_ mock: MockProcess) -> [String] {
        ["--endpoint", mock.baseURL, "--access-token", Self.token, "--event-set-id", Self.eventSetID]
    }

    @Test(arguments: Trouble.allCases)
    func runExitsTwoWhenAnythingWasRefusedAndOnlyWithStrict(trouble: Trouble) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let input = try input(with: trouble, in: directory)
        let mock = try await MockProcess([], in: directory)
        for strict in [false, true] {
            let run = try ToolProcess(
                ["run", "--input", input, "--outbox", directory.file("outbox-\(strict).sqlite"), "--relaxed-durability", "--json-summary"]
                    + tiktokFlags(mock) + (strict ? ["--strict"] : []),
                in: directory, name: "run-\(strict)")
            let status = await run.wait()
            let expected: Int32 = strict && trouble != .none ? 2 : 0
            #expect(status == expected, "strict \(strict): \(run.stderr)")
            let summary = try JSON.parse(String(run.stdout.split(separator: "\n").last ?? ""))
            #expect(summary["sent"]?.doubleValue == 20, "the good events are delivered either way: \(summary)")
            if strict, let named = trouble.named {
                #expect(run.stderr.contains("strict: \(named); exiting with status 2"), "\(run.stderr)")
            }
            #expect(summary["unmapped"]?.doubleValue == (trouble == .unmapped ? 1 : 0), "\(summary)")
        }
        #expect(try await mock.uniqueEvents() == 20)
        await mock.stop()
    }

    @Test(arguments: Trouble.allCases)
    func dryRunExitsTwoWhenAnythingWasRefused(trouble: Trouble) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let input = try input(with: trouble, in: directory)
        for strict in [false, true] {
            let run = try ToolProcess(
                ["dry-run", "--input", input, "--event-set-id", Self.eventSetID] + (strict ? ["--strict"] : []),
                in: directory, name: "dry-run-\(strict)")
            #expect(await run.wait() == (strict && trouble != .none ? 2 : 0), "strict \(strict): \(run.stderr)")
            #expect(run.stdout.split(separator: "\n").filter { $0.contains("\"body\"") }.count == 20)
        }
    }

    /// Dead letters from the stand-in's `--refuse-rate`: `run --strict` and `deliver --strict`
    /// exit 2, the rows it did not refuse are all delivered, and the refused ones are dead
    /// letters, each one alone, as TikTok would leave them.
    @Test func deadLettersMakeRunAndDeliverExitTwoWithStrict() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let events = directory.file("events.ndjson")
        try SegmentEvents.write(to: events, valid: 400, invalid: 0)
        let mock = try await MockProcess(["--refuse-rate", "0.05"], in: directory)
        let outbox = directory.file("outbox.sqlite")

        let store = try ToolProcess(
            ["run", "--no-deliver", "--input", events, "--outbox", outbox, "--relaxed-durability"] + tiktokFlags(mock),
            in: directory, name: "store")
        #expect(await store.wait() == 0, "\(store.stderr)")
        let deliver = try ToolProcess(
            ["deliver", "--outbox", outbox, "--json-summary", "--strict"] + tiktokFlags(mock), in: directory, name: "deliver")
        #expect(await deliver.wait() == 2, "\(deliver.stderr)")
        let summary = try JSON.parse(String(deliver.stdout.split(separator: "\n").last ?? ""))
        let dead = try #require(summary["dead_lettered"]?.doubleValue.map { Int($0) })
        #expect((5...40).contains(dead), "about 5% of 400 rows refused: \(summary)")
        #expect(summary["sent"]?.doubleValue.map { Int($0) } == 400 - dead)
        #expect(try await mock.uniqueEvents() == 400 - dead)
        #expect(deliver.stderr.contains("strict: \(dead) dead-lettered"), "\(deliver.stderr)")

        // The same rows are refused again, whoever sends them: a run with new copies of them fails alike.
        let again = try ToolProcess(
            ["run", "--input", events, "--outbox", directory.file("second.sqlite"), "--relaxed-durability", "--json-summary"]
                + tiktokFlags(mock),
            in: directory, name: "again")
        #expect(await again.wait() == 0, "without --strict a run with dead letters still exits 0: \(again.stderr)")
        let second = try JSON.parse(String(again.stdout.split(separator: "\n").last ?? ""))
        #expect(second["dead_lettered"]?.doubleValue.map { Int($0) } == dead, "\(second)")
        await mock.stop()
    }

    /// A failure with its own status keeps it: a refused token is 3, strict or not.
    @Test func aFailureKeepsItsOwnStatus() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let input = try input(with: .rejected, in: directory)
        let mock = try await MockProcess(["--bad-token"], in: directory)
        let run = try ToolProcess(
            ["run", "--input", input, "--outbox", directory.file("outbox.sqlite"), "--relaxed-durability", "--strict"] + tiktokFlags(mock),
            in: directory, name: "run")
        #expect(await run.wait() == 3, "\(run.stderr)")
        await mock.stop()
    }
}
