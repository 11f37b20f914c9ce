import Foundation
import JSONKit
import MappingKit
import ProcessTesting
import Testing

/// `tiktok-offline run` as a real process against `tiktok-offline mock-tiktok` on loopback.
@Suite("run against the stand-in (processes)", .serialized, .timeLimit(.minutes(5)))
struct RunCommandTests {
    static let token = "test-token"
    static let eventSetID = "test-event-set-id"

    private func runArguments(input: String, mock: MockProcess, outbox: String, token: String = token, extra: [String] = []) -> [String] {
        ["run", "--input", input, "--endpoint", mock.baseURL, "--outbox", outbox,
         "--access-token", token, "--event-set-id", Self.eventSetID, "--json-summary", "--relaxed-durability"] + extra
    }

    private func summary(of tool: ToolProcess) throws -> JSON {
        guard let line = tool.stdout.split(separator: "\n").last else {
            throw ToolError("run printed no summary; stderr: \(tool.stderr)")
        }
        return try JSON.parse(String(line))
    }

    private func int(_ json: JSON, _ key: String) -> Int { json[key]?.doubleValue.map { Int($0) } ?? -1 }

    @Test func deliversEveryValidEventThroughFaultsAndTheFiguresAddUp() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let valid = 100_000, invalid = 500
        let input = directory.file("events.ndjson")
        try SegmentEvents.write(to: input, valid: valid, invalid: invalid)
        let mock = try await MockProcess(["--fail-rate", "0.2", "--rate-limit-every", "50"], in: directory)
        let rejects = directory.file("rejects.ndjson")
        let run = try ToolProcess(
            // Attempts enough that no batch runs out of them (a fifth of requests fail, and the
            // whole suite runs beside it): what is tested is that every event arrives once.
            runArguments(input: input, mock: mock, outbox: directory.file("outbox.sqlite"), extra: ["--rejects", rejects, "--max-attempts", "30"]),
            in: directory, name: "run"
        )
        let status = await run.wait()
        #expect(status == 0, "\(run.stderr)")
        let figures = try summary(of: run)
        #expect(try await mock.uniqueEvents() == valid, "every valid event reached TikTok")
        #expect(int(figures, "received") == valid + invalid)
        #expect(int(figures, "accepted") == valid)
        #expect(int(figures, "rejected") == invalid)
        #expect(int(figures, "records") == int(figures, "accepted") + int(figures, "rejected") + int(figures, "skipped"))
        #expect(int(figures, "sent") + int(figures, "dead_lettered") + int(figures, "pending") == int(figures, "pending_before") + int(figures, "queued"))
        #expect(int(figures, "sent") == valid && int(figures, "pending") == 0 && int(figures, "dead_lettered") == 0)
        #expect(int(figures, "retried") > 0, "the injected faults were retried")
        let refused = try String(contentsOfFile: rejects, encoding: .utf8).split(separator: "\n").map { try JSON.parse(String($0)) }
        #expect(refused.count == invalid)
        #expect(refused.allSatisfy { $0["mapping"] == "Complete Payment" && $0["error"]?.stringValue?.contains("identifier") == true })
        await mock.stop()
    }

    @Test func aRunKilledMidwayLosesNothingWhenStartedAgain() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let valid = 20_000
        let input = directory.file("events.ndjson")
        try SegmentEvents.write(to: input, valid: valid, invalid: 0)
        let outbox = directory.file("outbox.sqlite")
        let mock = try await MockProcess(["--latency-ms", "40"], in: directory)
        let slow = ["--batch-size", "200", "--concurrency", "2"]
        let first = try ToolProcess(runArguments(input: input, mock: mock, outbox: outbox, extra: slow), in: directory, name: "first")
        while try await mock.uniqueEvents() < 2_000 {
            try #require(first.process.isRunning, "the first run must still be running: \(first.stderr)")
            try await Task.sleep(for: .milliseconds(20))
        }
        first.signal(SIGKILL)
        #expect(await first.wait() == SIGKILL)
        let delivered = try await mock.uniqueEvents()
        #expect(delivered < valid, "killed midway")

        let second = try ToolProcess(runArguments(input: input, mock: mock, outbox: outbox), in: directory, name: "second")
        #expect(await second.wait() == 0, "\(second.stderr)")
        let figures = try summary(of: second)
        #expect(try await mock.uniqueEvents() == valid, "zero events lost")
        #expect(int(figures, "pending") == 0)
        #expect(int(figures, "pending_before") > 0, "the first run's accepted events were waiting")
        #expect(int(figures, "accepted") == valid)
        #expect(int(figures, "sent") == int(figures, "pending_before") + int(figures, "queued"))
        await mock.stop()
    }

    /// The dead-letter and check commands work the same on a SQLite file and a PostgreSQL outbox.
    @Test(arguments: OutboxContractTests.Store.allCases)
    func onlyTheBadRowIsDeadLetteredWithTikTokMessage(_ store: OutboxContractTests.Store) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let input = directory.file("events.ndjson")
        try SegmentEvents.write(to: input, valid: 999, invalid: 0, badForTikTokAt: 400)
        let outbox = store == .sqlite ? directory.file("outbox.sqlite") : try await TestDatabase.fresh(directory: directory)
        let mock = try await MockProcess(in: directory)
        let run = try ToolProcess(runArguments(input: input, mock: mock, outbox: outbox), in: directory, name: "run")
        #expect(await run.wait() == 0, "\(run.stderr)")
        let figures = try summary(of: run)
        #expect(int(figures, "sent") == 999 && int(figures, "dead_lettered") == 1)
        #expect(try await mock.uniqueEvents() == 999)

        let list = try ToolProcess(["dead-letters", "list", "--outbox", outbox, "--json"], in: directory, name: "list")
        #expect(await list.wait() == 0)
        let letters = try list.stdout.split(separator: "\n").map { try JSON.parse(String($0)) }
        #expect(letters.count == 1)
        #expect(letters.first?["event_id"]?.stringValue == SegmentEvents.badMessageID)
        #expect(letters.first?["reason"]?.stringValue?.hasPrefix("TikTok 40002: Invalid parameter: data[") == true)
        #expect(letters.first?["reason"]?.stringValue?.contains("user.phone[0]") == true)

        let replay = try ToolProcess(["dead-letters", "replay", "--outbox", outbox], in: directory, name: "replay")
        #expect(await replay.wait() == 0 && replay.stdout.contains("Replayed 1 dead letter into the outbox"))
        // The command it suggests works as printed, once its placeholders are filled in.
        let suggested = try #require(replay.stdout.range(of: "tiktok-offline deliver ").map { replay.stdout[$0.upperBound...] })
        let words = suggested.prefix { $0 != "(" }.split(separator: " ").map(String.init)
        #expect(words == ["--outbox", outbox, "--event-set-id", "YOUR_SET"], "\(replay.stdout)")
        let again = try ToolProcess(
            ["deliver"] + words.map { $0 == "YOUR_SET" ? Self.eventSetID : $0 } + ["--endpoint", mock.baseURL, "--json-summary"],
            in: directory, name: "again", environment: ["TIKTOK_ACCESS_TOKEN": Self.token])
        #expect(await again.wait() == 0, "\(again.stderr)")
        #expect(int(try summary(of: again), "dead_lettered") == 1, "TikTok refuses it again")
        let purge = try ToolProcess(["dead-letters", "purge", "--outbox", outbox, "--all"], in: directory, name: "purge")
        #expect(await purge.wait() == 0 && purge.stdout.contains("Purged 1"))
        let check = try ToolProcess(["outbox", "check", "--outbox", outbox, "--json"], in: directory, name: "check")
        #expect(await check.wait() == 0, "\(check.stderr)")
        let found = try JSON.parse(check.stdout)
        #expect(found["sound"] == true && found["pending"] == 0 && found["dead_letters"] == 0, "\(found)")
        await mock.stop()
    }

    @Test func aRevokedTokenStopsTheRunAndALaterRunDeliversThePendingEvents() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let valid = 5_000
        let input = directory.file("events.ndjson")
        try SegmentEvents.write(to: input, valid: valid, invalid: 0)
        let outbox = directory.file("outbox.sqlite")
        let mock = try await MockProcess(["--latency-ms", "30"], in: directory)
        let first = try ToolProcess(
            runArguments(input: input, mock: mock, outbox: outbox, extra: ["--batch-size", "100", "--concurrency", "1"]),
            in: directory, name: "first"
        )
        while try await mock.uniqueEvents() < 500 {
            try #require(first.process.isRunning, "the first run must still be running: \(first.stderr)")
            try await Task.sleep(for: .milliseconds(10))
        }
        _ = try await post("", to: mock.baseURL + "/__revoke", token: Self.token)
        let status = await first.wait()
        #expect(status == 3, "exit status 3: credentials refused")
        #expect(first.stderr.contains("TikTok refused the access token"))
        #expect(first.stderr.contains("40105"))
        #expect(!first.stderr.contains(Self.token) && !first.stdout.contains(Self.token), "the token is never printed")
        let figures = try summary(of: first)
        #expect(int(figures, "pending") > 0)
        #expect(int(figures, "sent") + int(figures, "pending") == valid)

        let second = try ToolProcess(
            runArguments(input: "/dev/null", mock: mock, outbox: outbox, token: "renewed-token"), in: directory, name: "second"
        )
        #expect(await second.wait() == 0, "\(second.stderr)")
        #expect(int(try summary(of: second), "sent") == int(figures, "pending"))
        #expect(try await mock.uniqueEvents() == valid)
        await mock.stop()
    }

    @Test func checkAuthGivesAClearAnswer() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let good = try await MockProcess(in: directory)
        let bad = try await MockProcess(["--bad-token"], in: directory)
        let arguments = ["check-auth", "--access-token", Self.token, "--event-set-id", Self.eventSetID, "--endpoint"]
        let accepted = try ToolProcess(arguments + [good.baseURL], in: directory, name: "good")
        #expect(await accepted.wait() == 0)
        #expect(accepted.stdout.contains("OK"))
        let refused = try ToolProcess(arguments + [bad.baseURL], in: directory, name: "bad")
        #expect(await refused.wait() == 1)
        #expect(refused.stdout.contains("Refused: TikTok 40001"))
        await good.stop()
        await bad.stop()
    }

    /// Reasons that differ only in their figures are one kind in the summary: three events of
    /// different ages make one `stale` line, not three.
    @Test func rejectionReasonsAreGroupedByKind() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let input = directory.file("old.ndjson")
        let lines = ["2026-01-02T00:00:00Z", "2025-06-30T12:00:00Z", "2020-01-01T00:00:00Z"].enumerated().map { n, time in
            #"{"type":"track","event":"Order Completed","messageId":"old-\#(n)","userId":"u","timestamp":"\#(time)","properties":{"email":"a@example.com","order_id":"o-\#(n)","value":1}}"#
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let mock = try await MockProcess([], in: directory)
        let run = try ToolProcess(
            ["run", "--input", input, "--endpoint", mock.baseURL, "--outbox", directory.file("outbox.sqlite"),
             "--access-token", Self.token, "--event-set-id", Self.eventSetID, "--relaxed-durability"],
            in: directory, name: "run")
        #expect(await run.wait() == 0, "\(run.stderr)")
        let reasons = run.stdout.split(separator: "\n").drop { !$0.hasPrefix("most common rejection reasons") }.dropFirst()
            .prefix { $0.hasPrefix("  ") && $0.contains(" × ") }
        #expect(reasons.map(String.init) == [
            "  3 × stale: the event is N days old; TikTok attributes offline events up to N days (max_event_age_days)",
        ], "\(run.stdout)")
        await mock.stop()
    }
}
