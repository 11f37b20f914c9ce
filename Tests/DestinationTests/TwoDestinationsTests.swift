import ConversionEngine
import Delivery
import Foundation
import JSONKit
import OutboxTesting
import ProcessTesting
import Runtime
import Testing
import TikTokConversions
import TikTokEventsAPI
import TikTokOffline

/// Both shipped destinations in one process: the shared corpus fires the presets of each, one
/// outbox keeps their records apart (the in-memory store, which keeps the store contract as
/// SQLite and PostgreSQL do, as EchoEndToEndTests shows for all three), and one deliverer sends each queue with its own
/// destination's transport and credentials to a stand-in that fails requests and rate-limits.
/// Every accepted event of each destination arrives exactly once, counted per event source.
@Suite("Two destinations, one outbox", .timeLimit(.minutes(5)))
struct TwoDestinationsTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

    static func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: directory.appendingPathComponent(path).path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    /// The (event, event_id) pairs Segment's own code sent for one destination over the corpus.
    static func referenceEvents(_ path: String) throws -> Set<String> {
        Set(try lines(path).compactMap { line -> String? in
            let element = try JSON.parse(line)["body"]?["data"]?.arrayValue?.first
            return element.map { "\($0["event"]?.stringValue ?? "")/\($0["event_id"]?.stringValue ?? "")" }
        })
    }

    @Test func eachDestinationsEventsArriveOnceWithItsOwnCredentials() async throws {
        let scratch = try TemporaryDirectory()
        defer { scratch.cleanup() }
        let mock = try await MockProcess(["--fail-rate", "0.2", "--rate-limit-every", "7"], in: scratch)
        let endpoint = TikTokEndpoint(baseURL: mock.baseURL)
        let offline = TikTokOfflineDestination(
            settings: TikTokSettings(accessToken: "offline-token", eventSetID: "test-event-set-id", partnerName: "Segment", staleEvents: .off),
            endpoint: endpoint)
        let conversions = TikTokConversionsDestination(
            settings: TikTokConversionsSettings(accessToken: "web-token", pixelCode: "test-pixel-code"), endpoint: endpoint)
        let set = try DestinationSet([offline, conversions])

        var events = RawEvents()
        for (n, line) in try Self.lines("TikTokOfflineTests/Fixtures/corpus/segment-events-2000.ndjson").enumerated() {
            events.append(number: n + 1, Array(line.utf8))
        }
        let outbox = InMemoryOutbox()
        let sink = OutboxSink(outbox: outbox)
        // One event fires mappings of both destinations.
        for destination in set.destinations {
            _ = try await Ingest(engine: try destination.engine(enableAll: true, sink: sink)).process(events)
        }
        let queues = try await outbox.pendingDestinations()
        #expect(queues == ["tiktok-web:test-pixel-code|Segment#web", "tiktok:test-event-set-id|Segment"], "\(queues)")
        for queue in queues {
            #expect(set.destinations.filter { $0.owns(queue: queue) }.count == 1, "exactly one destination owns \(queue)")
        }

        let retry = RetryPolicy(maxAttempts: 30, baseDelay: .milliseconds(5), maxDelay: .milliseconds(50))
        let deliverer = Deliverer(outbox: outbox, transport: set.transport(), destinations: queues, configuration: .init(retry: retry))
        deliverer.finishInput()
        let report = await deliverer.run()
        #expect(report.failure == nil, "\(report)")
        #expect(try await outbox.counts().pending == 0)
        await outbox.close()

        let offlineExpected = try Self.referenceEvents("TikTokOfflineTests/Fixtures/corpus/segment-events-2000.expected.ndjson")
        let webExpected = try Self.referenceEvents("TikTokConversionsTests/Fixtures/corpus/tiktok-conversions-2000.expected.ndjson")
        #expect(offlineExpected.count > 1_000 && webExpected.count > 1_000)
        for (source, expected) in [("test-event-set-id", offlineExpected), ("test-pixel-code", webExpected)] {
            let stats = try await mock.stats(eventSource: source)
            #expect(stats["unique_events"]?.doubleValue.map { Int($0) } == expected.count, "\(source): \(stats.serialized())")
            #expect(stats["events_received"]?.doubleValue.map { Int($0) } ?? 0 >= expected.count)
            #expect(Set(try await mock.eventIDs(eventSource: source)) == Set(expected.map { String($0.split(separator: "/", maxSplits: 1)[1]) }))
        }
        await mock.stop()
    }
}
