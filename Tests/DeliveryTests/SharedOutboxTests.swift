import Foundation
import JSONKit
import MappingKit
import ProcessTesting
import Testing

/// Several processes on one PostgreSQL outbox (`--outbox postgres://…`), against the stand-in.
@Suite("shared PostgreSQL outbox (processes)", .serialized, .timeLimit(.minutes(5)))
struct SharedOutboxTests {
    static let credentials = ["--access-token", "test-token", "--event-set-id", "test-event-set-id"]

    /// Three `run`s, each with a third of 30,000 events, deliver concurrently through a stand-in
    /// that fails a fifth of the requests; one is SIGKILLed midway and its share run again. In the
    /// end every sendable event has reached the stand-in, and nothing is left in the outbox; no
    /// event was ever in two requests at once, and what was sent twice is what the kill explains.
    @Test func threeRunsOneKilledLoseNothing() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let url = try await TestDatabase.fresh(directory: directory) + "&lease_seconds=10"
        // Some latency widens each request's window, so two senders holding one event would be seen.
        let mock = try await MockProcess(["--fail-rate", "0.2", "--latency-ms", "20"], in: directory)
        var inputs: [String] = []
        for part in 0..<3 {
            let path = directory.file("part-\(part).ndjson")
            try SegmentEvents.write(to: path, valid: 10_000, invalid: 0)
            let text = try String(contentsOfFile: path, encoding: .utf8)
                .replacingOccurrences(of: "\"messageId\":\"", with: "\"messageId\":\"p\(part)-")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            inputs.append(path)
        }
        func run(_ part: Int, name: String) throws -> ToolProcess {
            try ToolProcess(["run", "--input", inputs[part], "--outbox", url, "--endpoint", mock.baseURL, "--json-summary"] + Self.credentials,
                            in: directory, name: name)
        }
        let runs = try (0..<3).map { try run($0, name: "run-\($0)") }
        try await waitUntil(timeout: .seconds(120)) { try await mock.uniqueEvents() >= 5_000 }
        runs[1].signal(SIGKILL)
        #expect(await runs[1].wait() == SIGKILL)
        #expect(await runs[0].wait() == 0, "\(runs[0].stderr)")
        #expect(await runs[2].wait() == 0, "\(runs[2].stderr)")
        let again = try run(1, name: "run-1-again")
        #expect(await again.wait() == 0, "\(again.stderr)")
        // What the killed run had claimed returns when its leases lapse; a deliverer sends it.
        try await waitUntil(timeout: .seconds(60)) {
            let deliver = try ToolProcess(["deliver", "--outbox", url, "--endpoint", mock.baseURL, "--json-summary"] + Self.credentials,
                                          in: directory, name: "deliver-\(UUID().uuidString.prefix(4))")
            _ = await deliver.wait()
            return try await mock.uniqueEvents() == 30_000
        }
        let check = try ToolProcess(["deliver", "--outbox", url, "--endpoint", mock.baseURL, "--json-summary"] + Self.credentials,
                                    in: directory, name: "final")
        #expect(await check.wait() == 0)
        let summary = try JSON.parse(String(try #require(check.stdout.split(separator: "\n").last)))
        #expect(summary["pending"] == 0 && summary["sent"] == 0)
        let stats = try await mock.stats()
        #expect(stats["overlapping_events"] == 0, "an event was in flight at two workers at once")
        // Sent twice only: what the killed run had delivered but not yet confirmed (at most its
        // four batches in flight), and its share run again (each event of it at most once more).
        let duplicates = (stats["events_received"]?.doubleValue ?? 0) - (stats["unique_events"]?.doubleValue ?? 0)
        #expect(duplicates <= 10_000 + 4 * 1_000, "\(stats)")
        #expect(!check.stdout.contains("test-token") && !check.stderr.contains("test-token"))
        await mock.stop()
    }

    /// The database restarts under a worker (every connection cut, the server away for a moment):
    /// the worker says so, waits, reconnects, says so again, and delivers every event.
    @Test func aWorkerRidesOutADatabaseRestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let postgres = try await ThrowawayPostgres.start(in: directory)
        let input = directory.file("events.ndjson")
        try SegmentEvents.write(to: input, valid: 20_000, invalid: 0)
        let store = try ToolProcess(["run", "--no-deliver", "--input", input, "--outbox", postgres.url] + Self.credentials,
                                    in: directory, name: "store")
        #expect(await store.wait() == 0, "\(store.stderr)")
        let mock = try await MockProcess(["--latency-ms", "40"], in: directory)
        let deliver = try ToolProcess(
            ["deliver", "--outbox", postgres.url, "--endpoint", mock.baseURL, "--batch-size", "200", "--concurrency", "2", "--json-summary"]
                + Self.credentials, in: directory, name: "deliver")
        try await waitUntil(timeout: .seconds(60)) { try await mock.uniqueEvents() >= 4_000 }
        try await postgres.restart()
        #expect(await deliver.wait() == 0, "\(deliver.stderr)")
        #expect(deliver.stderr.contains("outbox unreachable"), "\(deliver.stderr)")
        #expect(deliver.stderr.contains("outbox reachable again"), "\(deliver.stderr)")
        #expect(try await mock.uniqueEvents() == 20_000)
        let summary = try JSON.parse(String(try #require(deliver.stdout.split(separator: "\n").last)))
        #expect(summary["pending"] == 0, "\(summary)")
        await mock.stop()
        await postgres.stop()
    }

    /// Delivery scales with workers: against a stand-in that takes 100 ms per request, three
    /// `deliver` processes drain a store of events well over twice as fast as one (each with the
    /// same concurrency). scripts/scaling-bench.sh measures the release figure on 30,000 events.
    @Test func threeWorkersDrainMoreThanTwiceAsFastAsOne() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let input = directory.file("events.ndjson")
        try SegmentEvents.write(to: input, valid: 6_000, invalid: 0)
        let mock = try await MockProcess(["--latency-ms", "100"], in: directory)
        func drain(workers: Int) async throws -> Duration {
            let url = try await TestDatabase.fresh(directory: directory)
            let store = try ToolProcess(["run", "--no-deliver", "--input", input, "--outbox", url] + Self.credentials,
                                        in: directory, name: "store-\(workers)")
            #expect(await store.wait() == 0, "\(store.stderr)")
            let start = ContinuousClock.now
            let delivers = try (0..<workers).map { worker in
                try ToolProcess(["deliver", "--outbox", url, "--endpoint", mock.baseURL, "--batch-size", "100", "--concurrency", "1",
                                 "--json-summary"] + Self.credentials, in: directory, name: "deliver-\(workers)-\(worker)")
            }
            for deliver in delivers { #expect(await deliver.wait() == 0, "\(deliver.stderr)") }
            let elapsed = ContinuousClock.now - start
            // Each worker's summary adds up although the others took events it counted as pending:
            // what they sent shows as delivered elsewhere, never as a negative "added elsewhere".
            let summaries = try delivers.map { try JSON.parse(String($0.stdout.split(separator: "\n").last ?? "")) }
            func int(_ json: JSON, _ key: String) -> Int { json[key]?.doubleValue.map { Int($0) } ?? -1 }
            for summary in summaries {
                #expect(int(summary, "added_elsewhere") == 0 && int(summary, "delivered_elsewhere") >= 0, "\(summary)")
                #expect(int(summary, "pending_before") == int(summary, "sent") + int(summary, "delivered_elsewhere") + int(summary, "pending"),
                        "\(summary)")
            }
            #expect(summaries.map { int($0, "sent") }.reduce(0, +) == 6_000)
            if workers > 1 { #expect(summaries.contains { int($0, "delivered_elsewhere") > 0 }, "\(summaries)") }
            return elapsed
        }
        let one = try await drain(workers: 1)
        let three = try await drain(workers: 3)
        #expect(try await mock.uniqueEvents() == 6_000)
        #expect(one / three >= 2.0, "1 worker: \(one), 3 workers: \(three)")
        await mock.stop()
    }
}
