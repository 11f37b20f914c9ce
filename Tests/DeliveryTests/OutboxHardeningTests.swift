import ConversionEngine
import Crypto
import Foundation
import JSONKit
import MappingKit
import OutboxSQLite
import ProcessTesting
import Testing
import TikTokOffline
import TikTokEventsAPI

/// The outbox under attack, with real processes: a damaged file, several processes on one
/// file, and TikTok out of reach.
@Suite("outbox hardening (processes)", .serialized, .timeLimit(.minutes(5)))
struct OutboxHardeningTests {
    static let route = TikTokRoute(eventSetID: RunCommandTests.eventSetID, accessToken: RunCommandTests.token)

    private func int(_ json: JSON, _ key: String) -> Int { json[key]?.doubleValue.map { Int($0) } ?? -1 }

    private func lastJSONLine(_ tool: ToolProcess) throws -> JSON {
        guard let line = tool.stdout.split(separator: "\n").last else { throw ToolError("no output; stderr: \(tool.stderr)") }
        return try JSON.parse(String(line))
    }

    private func digest(_ path: String) throws -> String {
        SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: path))).map { String(format: "%02x", $0) }.joined()
    }

    /// The outbox's balance, which every summary must keep, whatever path the run took.
    private func expectAddsUp(_ summary: JSON, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(
            int(summary, "pending_before") + int(summary, "queued") + int(summary, "added_elsewhere")
                == int(summary, "sent") + int(summary, "dead_lettered") + int(summary, "delivered_elsewhere") + int(summary, "pending"),
            "the summary adds up: \(summary)", sourceLocation: sourceLocation)
        #expect(int(summary, "added_elsewhere") >= 0 && int(summary, "delivered_elsewhere") >= 0, "\(summary)", sourceLocation: sourceLocation)
        #expect(int(summary, "accepted") == int(summary, "queued") + int(summary, "duplicates"), sourceLocation: sourceLocation)
        #expect(int(summary, "records") == int(summary, "accepted") + int(summary, "rejected") + int(summary, "skipped"),
                sourceLocation: sourceLocation)
    }

    /// No SQLite text reaches the user on its own.
    private func expectNoRawSQLite(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for raw in ["SQLite error", "already exists", "PRAGMA", "database is locked"] {
            #expect(!text.contains(raw), "raw SQLite text: \(text)", sourceLocation: sourceLocation)
        }
    }

    // MARK: Damage

    @Test func aDamagedOutboxStopsRunsAndRecoverSavesEveryReadableEvent() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.file("outbox.sqlite")
        let stored = 40_000
        do {
            let outbox = try Outbox(path: path, configuration: .init(synchronousCommits: false))
            for start in stride(from: 0, to: stored, by: 1_000) {
                try await outbox.enqueue(TestEvents.messages(start..<start + 1_000), destination: Self.route.outboxDestination)
            }
        }
        // 16 KB of noise over four pages in the middle of the file, starting at the page that
        // holds the middle event's payload (elsewhere it may hit only the index of pending keys,
        // which recovery does not need).
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let middle = try #require(bytes.range(of: Data(#""event_id":"event-20000""#.utf8)))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64(middle.lowerBound / 4096 * 4096))
        var generator = SystemRandomNumberGenerator()
        try handle.write(contentsOf: Data((0..<16_384).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        try handle.close()
        let damaged = try digest(path)

        let input = directory.file("events.ndjson")
        try SegmentEvents.write(to: input, valid: 100, invalid: 0)
        let mock = try await MockProcess([], in: directory)
        let run = try ToolProcess(
            ["run", "--input", input, "--endpoint", mock.baseURL, "--outbox", path, "--access-token", RunCommandTests.token,
             "--event-set-id", RunCommandTests.eventSetID, "--json-summary"],
            in: directory, name: "run-damaged")
        #expect(await run.wait() == 7, "exit status 7: the outbox is damaged")
        #expect(run.stderr.contains("damaged") && run.stderr.contains("outbox recover"), "\(run.stderr)")
        #expect(run.stdout.isEmpty, "nothing was read, so there is no summary")
        #expect(try await mock.uniqueEvents() == 0, "nothing was sent from a damaged file")
        #expect(try digest(path) == damaged, "the damaged file is not written to")

        let check = try ToolProcess(["outbox", "check", "--outbox", path, "--json"], in: directory, name: "check")
        #expect(await check.wait() == 7)
        #expect(try lastJSONLine(check)["sound"] == false)

        let recovered = directory.file("recovered.sqlite")
        let recover = try ToolProcess(["outbox", "recover", "--outbox", path, "--to", recovered, "--json"], in: directory, name: "recover")
        #expect(await recover.wait() == 0, "\(recover.stderr)")
        let report = try lastJSONLine(recover)
        let saved = int(report, "saved_pending")
        #expect(saved > 0 && saved < stored)
        #expect(saved + int(report, "lost_pending") == stored, "every event is either saved or counted as lost: \(report)")
        #expect(int(report, "uncounted_batches") == 0)
        #expect(try digest(path) == damaged, "recovery never changes the damaged file")

        let deliver = try ToolProcess(
            ["run", "--input", "/dev/null", "--endpoint", mock.baseURL, "--outbox", recovered, "--access-token", RunCommandTests.token,
             "--event-set-id", RunCommandTests.eventSetID, "--json-summary"],
            in: directory, name: "run-recovered")
        #expect(await deliver.wait() == 0, "\(deliver.stderr)")
        let summary = try lastJSONLine(deliver)
        expectAddsUp(summary)
        #expect(int(summary, "pending_before") == saved && int(summary, "sent") == saved && int(summary, "pending") == 0)
        #expect(try await mock.uniqueEvents() == saved, "exactly the saved events reached the stand-in")
        let stats = try await mock.stats()
        #expect(int(stats, "rejected_requests") == 0, "no damaged payload was sent")
        await mock.stop()
    }

    // MARK: Several processes

    /// Two runs started together on a new outbox: one delivers, the other reads nothing and
    /// says why (exit 6); no SQLite text, nothing lost, and both summaries add up.
    @Test func twoRunsStartedTogetherOnANewOutbox() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let events = 2_000
        let input = directory.file("events.ndjson")
        try SegmentEvents.write(to: input, valid: events, invalid: 0)
        let mock = try await MockProcess(["--latency-ms", "100"], in: directory)
        var delivered = 0
        for attempt in 0..<20 {
            let outbox = directory.file("outbox-\(attempt).sqlite")
            let arguments = ["run", "--input", input, "--endpoint", mock.baseURL, "--outbox", outbox, "--access-token", RunCommandTests.token,
                             "--event-set-id", RunCommandTests.eventSetID, "--json-summary", "--batch-size", "250"]
            let first = try ToolProcess(arguments, in: directory, name: "first-\(attempt)")
            let second = try ToolProcess(arguments, in: directory, name: "second-\(attempt)")
            let statuses = [await first.wait(), await second.wait()]
            for tool in [first, second] {
                expectNoRawSQLite(tool.stderr + tool.stdout)
                expectAddsUp(try lastJSONLine(tool))
            }
            #expect(statuses.sorted() == [0, 6], "one delivers, the other stops before reading: \(statuses)")
            let loser = statuses[0] == 6 ? first : second
            #expect(loser.stderr.contains("another process is delivering"), "\(loser.stderr)")
            #expect(int(try lastJSONLine(loser), "received") == 0, "the run that may not deliver reads nothing")
            delivered = try await mock.uniqueEvents()
            #expect(delivered == events, "every event once, after attempt \(attempt)")
        }
        await mock.stop()
    }

    /// Interrupted twice (stop reading, then stop sending): exit 5, events kept, figures add up.
    @Test func anInterruptedRunKeepsItsEventsAndItsSummaryAddsUp() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let input = directory.file("events.ndjson")
        try SegmentEvents.write(to: input, valid: 20_000, invalid: 100)
        let mock = try await MockProcess(["--latency-ms", "300"], in: directory)
        let run = try ToolProcess(
            ["run", "--input", input, "--endpoint", mock.baseURL, "--outbox", directory.file("outbox.sqlite"),
             "--access-token", RunCommandTests.token, "--event-set-id", RunCommandTests.eventSetID, "--json-summary",
             "--batch-size", "100", "--concurrency", "1"],
            in: directory, name: "interrupted")
        try await waitUntil { (try? await mock.stats())?["requests"]?.doubleValue ?? 0 >= 1 }
        run.signal(SIGINT)
        try await Task.sleep(for: .milliseconds(200))
        run.signal(SIGINT)
        #expect(await run.wait() == 5, "\(run.stderr)")
        let summary = try lastJSONLine(run)
        expectAddsUp(summary)
        #expect(summary["interrupted"] == true && int(summary, "pending") > 0)
        await mock.stop()
    }

    // MARK: Outages

    @Test func aClosedPortIsReportedAtOnceAndGivenUpOnWithEventsKept() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let input = directory.file("events.ndjson")
        try SegmentEvents.write(to: input, valid: 500, invalid: 0)
        let closedPort = try Self.closedPort()
        let start = ContinuousClock.now
        let run = try ToolProcess(
            ["run", "--input", input, "--endpoint", "http://127.0.0.1:\(closedPort)", "--outbox", directory.file("outbox.sqlite"),
             "--access-token", RunCommandTests.token, "--event-set-id", RunCommandTests.eventSetID, "--json-summary"],
            in: directory, name: "closed")
        var warnedAfter: Duration?
        while run.process.isRunning, warnedAfter == nil {
            if run.stderr.contains("delivery failing") { warnedAfter = ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(20))
        }
        let status = await run.wait()
        if warnedAfter == nil, run.stderr.contains("delivery failing") { warnedAfter = ContinuousClock.now - start }
        let warned = try #require(warnedAfter, "a warning names the outage: \(run.stderr)")
        #expect(warned < .seconds(2), "warned after \(warned)")
        #expect(run.stderr.contains("Connection refused") || run.stderr.contains("connection refused"), "the reason is given: \(run.stderr)")
        #expect(status == 4, "exit 4: TikTok unavailable")
        #expect(run.stderr.contains("gave up"))
        let summary = try lastJSONLine(run)
        expectAddsUp(summary)
        #expect(int(summary, "pending") == 500 && int(summary, "accepted") == 500, "every event is kept")
        #expect(int(summary, "retried") > 0, "network errors count as retries")
        #expect(ContinuousClock.now - start < .seconds(60), "the defaults give up within a minute")
    }

    @Test func anUnreachableHostIsNotWaitedOnForTheWholeRequestTimeout() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let input = directory.file("events.ndjson")
        try SegmentEvents.write(to: input, valid: 50, invalid: 0)
        let blackHole = try BlackHole()
        let start = ContinuousClock.now
        let run = try ToolProcess(
            ["run", "--input", input, "--endpoint", blackHole.url, "--outbox", directory.file("outbox.sqlite"),
             "--access-token", RunCommandTests.token, "--event-set-id", RunCommandTests.eventSetID, "--json-summary",
             "--timeout", "30", "--connect-timeout", "1", "--max-attempts", "3"],
            in: directory, name: "black-hole")
        let status = await run.wait()
        let elapsed = ContinuousClock.now - start
        #expect(status == 4, "\(run.stderr)")
        #expect(elapsed < .seconds(20), "3 attempts of a 1 s connect timeout took \(elapsed), not 3 × 30 s")
        #expect(int(try lastJSONLine(run), "pending") == 50)
        withExtendedLifetime(blackHole) {}
    }

    /// A loopback port nothing listens on: one that was bound a moment ago and closed.
    static func closedPort() throws -> Int {
        try BlackHole().port
    }
}
