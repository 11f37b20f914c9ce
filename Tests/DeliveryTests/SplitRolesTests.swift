import Foundation
import JSONKit
import MappingKit
import ProcessTesting
import Testing

/// Ingest and delivery as separate processes: `run --no-deliver` stores, `deliver` sends.
@Suite("split roles: run --no-deliver and deliver (processes)", .timeLimit(.minutes(5)))
struct SplitRolesTests {
    static let credentials = ["--access-token", "test-token", "--event-set-id", "test-event-set-id"]

    static func summary(_ tool: ToolProcess) throws -> JSON {
        try JSON.parse(String(try #require(tool.stdout.split(separator: "\n").last, "no summary: \(tool.stderr)")))
    }

    static func int(_ json: JSON, _ key: String) -> Int { json[key]?.doubleValue.map { Int($0) } ?? -1 }

    @Test func aStoreOnlyRunSendsNothingAndDeliverSendsItAll() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let input = directory.file("events.ndjson")
        try SegmentEvents.write(to: input, valid: 2_000, invalid: 10)
        let mock = try await MockProcess(["--fail-rate", "0.2"], in: directory)
        let outbox = directory.file("outbox.sqlite")
        let store = try ToolProcess(
            ["run", "--no-deliver", "--input", input, "--outbox", outbox, "--endpoint", mock.baseURL, "--json-summary"] + Self.credentials,
            in: directory, name: "store")
        #expect(await store.wait() == 0, "\(store.stderr)")
        let stored = try Self.summary(store)
        #expect(Self.int(stored, "queued") == 2_000 && Self.int(stored, "sent") == 0 && Self.int(stored, "pending") == 2_000)
        #expect(try await mock.stats()["requests"] == 0, "nothing was sent")

        let deliver = try ToolProcess(
            ["deliver", "--outbox", outbox, "--endpoint", mock.baseURL, "--json-summary"] + Self.credentials, in: directory, name: "deliver")
        #expect(await deliver.wait() == 0, "\(deliver.stderr)")
        let delivered = try Self.summary(deliver)
        #expect(Self.int(delivered, "pending_before") == 2_000 && Self.int(delivered, "sent") == 2_000 && Self.int(delivered, "pending") == 0)
        #expect(try await mock.uniqueEvents() == 2_000)
        await mock.stop()
    }

    @Test func aFollowingDelivererSendsWhatOtherProcessesStoreAndStopsCleanly() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(in: directory)
        let outbox = directory.file("outbox.sqlite")
        let first = directory.file("first.ndjson")
        try SegmentEvents.write(to: first, valid: 300, invalid: 0)
        let seed = try ToolProcess(["run", "--no-deliver", "--input", first, "--outbox", outbox] + Self.credentials, in: directory, name: "seed")
        #expect(await seed.wait() == 0)

        let follower = try ToolProcess(
            ["deliver", "--follow", "--outbox", outbox, "--endpoint", mock.baseURL, "--json-summary"] + Self.credentials,
            in: directory, name: "follower")
        try await waitUntil { try await mock.uniqueEvents() == 300 }

        let busy = try ToolProcess(["deliver", "--outbox", outbox, "--endpoint", mock.baseURL] + Self.credentials, in: directory, name: "busy")
        #expect(await busy.wait() == 6, "one deliverer per SQLite outbox: \(busy.stderr)")

        let second = directory.file("second.ndjson")
        try String(contentsOfFile: first, encoding: .utf8).replacingOccurrences(of: "\"messageId\":\"", with: "\"messageId\":\"again-")
            .write(toFile: second, atomically: true, encoding: .utf8)
        let more = try ToolProcess(["run", "--no-deliver", "--input", second, "--outbox", outbox] + Self.credentials, in: directory, name: "more")
        #expect(await more.wait() == 0, "\(more.stderr)")
        try await waitUntil { try await mock.uniqueEvents() == 600 }

        follower.signal(SIGTERM)
        #expect(await follower.wait() == 0, "\(follower.stderr)")
        #expect(Self.int(try Self.summary(follower), "sent") == 600)
        await mock.stop()
    }
}
