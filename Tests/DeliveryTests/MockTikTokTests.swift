import AsyncHTTPClient
import Foundation
import JSONKit
import MappingKit
import NIOCore
import Testing
import TikTokMock
@testable import TikTokOffline
import TikTokEventsAPI

@Suite("Mock TikTok")
struct MockTikTokTests {
    @Test func acceptsAValidBatchAndDeduplicatesByEventAndEventID() async throws {
        try await withMockTikTok { mock, endpoint throws in
            let elements = (0..<10).map { TestEvents.element($0) }
            #expect(try await post(envelope(elements), to: endpoint.eventsURL).code == 0)
            #expect(try await post(envelope(Array(elements[5...]) + [TestEvents.element(3, event: "Contact")]), to: endpoint.eventsURL).code == 0)
            let stats = mock.stats
            #expect(stats.requests == 2)
            #expect(stats.eventsReceived == 16)
            #expect(stats.uniqueEvents == 11, "same event_id under another event name is another event")
            #expect(stats.rejectedRequests == 0)
        }
    }

    /// TikTok deduplicates within an event set: the same event sent to two sets is one event
    /// in all, and one in each set; sent to either again, it changes nothing.
    @Test func deduplicatesWithinEachEventSet() async throws {
        try await withMockTikTok { mock, endpoint throws in
            let elements = (0..<4).map { TestEvents.element($0) }
            for eventSet in ["set-1", "set-2", "set-1", "set-2"] {
                #expect(try await post(envelope(elements, eventSetID: eventSet), to: endpoint.eventsURL).code == 0)
            }
            #expect(try await post(envelope([TestEvents.element(9)], eventSetID: "set-2"), to: endpoint.eventsURL).code == 0)
            let stats = mock.stats
            #expect(stats.eventsReceived == 17)
            #expect(stats.uniqueEvents == 5)
            #expect(stats.eventSets["set-1"]?.uniqueEvents == 4)
            #expect(stats.eventSets["set-2"]?.uniqueEvents == 5)
            #expect(mock.eventIDs == [0, 1, 2, 3, 9].map { TestEvents.element($0)["event_id"]!.stringValue! }.sorted())
        }
    }

    /// `?event_source_id=ID` on `__stats` and `__event_ids` counts one event source only, over
    /// HTTP as through the API; another source's events, and its refusals, are left out.
    @Test func countsOneEventSourceWhenAsked() async throws {
        try await withMockTikTok { mock, endpoint throws in
            let elements = (0..<4).map { TestEvents.element($0) }
            #expect(try await post(envelope(elements, eventSetID: "set-1"), to: endpoint.eventsURL).code == 0)
            #expect(try await post(envelope(Array(elements[2...]) + [TestEvents.element(7)], eventSetID: "set-2"), to: endpoint.eventsURL).code == 0)
            #expect(try await post(envelope([TestEvents.badElement(8)], eventSetID: "set-2"), to: endpoint.eventsURL).code == 40002)
            let ids = { (numbers: [Int]) in numbers.map { TestEvents.element($0)["event_id"]!.stringValue! }.sorted() }

            func get(_ path: String) async throws -> JSON {
                let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: endpoint.baseURL + path), timeout: .seconds(5))
                #expect(response.status == .ok, "\(path)")
                return try JSON.parse(String(buffer: try await response.body.collect(upTo: 1 << 20)))
            }
            let one = try await get("/__stats?event_source_id=set-2")
            #expect(one["requests"] == 2 && one["events_received"] == 3 && one["unique_events"] == 3 && one["rejected_requests"] == 1, "\(one)")
            #expect(one["event_sets"]?.objectValue.map { Array($0.keys) } == ["set-2"], "\(one)")
            let all = try await get("/__stats")
            #expect(all["requests"] == 3 && all["unique_events"] == 5, "\(all)")
            #expect(try await get("/__stats?event_source_id=nowhere")["requests"] == 0)

            #expect(try await get("/__event_ids?event_source_id=set-1")["event_ids"] == .array(ids([0, 1, 2, 3]).map(JSON.string)))
            #expect(try await get("/__event_ids?event_source_id=set-2")["event_ids"] == .array(ids([2, 3, 7]).map(JSON.string)))
            #expect(try await get("/__event_ids")["event_ids"] == .array(ids([0, 1, 2, 3, 7]).map(JSON.string)))
            #expect(mock.stats(eventSourceID: "set-1").uniqueEvents == 4 && mock.eventIDs(eventSourceID: "set-2") == ids([2, 3, 7]))
        }
    }

    static let badRows: [(name: String, row: JSON, message: String)] = [
        ("unhashed email", TestEvents.badElement(1), "data[2].user.email[0]"),
        ("no event", ["event_time": 1, "user": ["email": [.string(TestEvents.hash(1))]]], "data[2].event"),
        ("string time", ["event": "Contact", "event_time": "2024-01-01", "user": ["email": [.string(TestEvents.hash(1))]]], "data[2].event_time"),
        ("no identifier", ["event": "Contact", "event_time": 1, "user": ["email": [], "phone": []]], "data[2].user"),
        ("uppercase hash", TestEvents.element(1, email: TestEvents.hash(9).uppercased().replacingOccurrences(of: "0", with: "A")), "data[2].user.email[0]"),
    ]

    @Test(arguments: badRows)
    func refusesTheWholeBatchNamingTheBadRow(name: String, row: JSON, message: String) async throws {
        try await withMockTikTok { mock, endpoint throws in
            let body = envelope([TestEvents.element(0), TestEvents.element(1), row, TestEvents.element(3)])
            let reply = try await post(body, to: endpoint.eventsURL)
            #expect(reply.code == 40002, "\(name)")
            #expect(reply.message.contains(message), "\(name): \(reply.message)")
            #expect(TikTokReply.suspectRow(in: reply.message) == 2)
            #expect(mock.stats.uniqueEvents == 0 && mock.stats.rejectedRequests == 1)
        }
    }

    /// A web event (TikTok Conversions) may be matched by its browser alone, and its names and
    /// zip code must be hashed when given; an offline event still needs an identifier.
    @Test(arguments: [
        ("web", ["ip": "203.0.113.9"], nil),
        ("web", ["ttclid": "click-1", "first_name": ""], nil),
        ("web", ["email": [], "phone": []], "data[0].user"),
        ("web", ["ip": "203.0.113.9", "first_name": "Jane"], "data[0].user.first_name"),
        ("web", ["ip": "203.0.113.9", "zip_code": .string(TestEvents.hash(5))], nil),
        ("offline", ["ip": "203.0.113.9"], "data[0].user"),
    ] as [(String, JSONObject, String?)])
    func checksWebEventsAsStrictlyAsOfflineOnes(source: String, user: JSONObject, refusal: String?) async throws {
        try await withMockTikTok { _, endpoint throws in
            let body = #"{"event_source":"\#(source)","event_source_id":"pixel-1","partner_name":"Segment","data":["#
                + JSON.object(["event": "PageView", "event_time": 1, "event_id": "e-1", "user": .object(user)]).serialized() + "]}"
            let reply = try await post(body, to: endpoint.eventsURL)
            if let refusal {
                #expect(reply.code == 40002 && reply.message.contains(refusal), "\(reply.message)")
            } else {
                #expect(reply.code == 0, "\(reply.message)")
            }
        }
    }

    @Test(arguments: [
        (#"{"event_source_id":"s","data":[]}"#, "event_source"),
        (#"{"event_source":"offline","data":[]}"#, "event_source_id"),
        (#"{"event_source":"offline","event_source_id":"s","data":[]}"#, "data"),
        ("[1,2", "Invalid JSON"),
    ])
    func refusesABadEnvelope(body: String, mentioning: String) async throws {
        try await withMockTikTok { _, endpoint throws in
            let reply = try await post(body, to: endpoint.eventsURL)
            #expect(reply.code == 40002)
            #expect(reply.message.contains(mentioning), "\(reply.message)")
        }
    }

    /// TikTok reads test_event_code at the top level; the stand-in counts those events apart and
    /// refuses the code inside an element, where TikTok would ignore it.
    @Test func readsTheTestEventCodeAtTheTopLevelOnly() async throws {
        try await withMockTikTok { mock, endpoint throws in
            let live = envelope([TestEvents.element(0), TestEvents.element(1)])
            let test = #"{"event_source":"offline","event_source_id":"set-1","test_event_code":"TEST1","data":[\#(TestEvents.element(2).serialized())]}"#
            #expect(try await post(live, to: endpoint.eventsURL).code == 0)
            #expect(try await post(test, to: endpoint.eventsURL).code == 0)
            var inside = TestEvents.element(3).objectValue!
            inside["test_event_code"] = "TEST1"
            let refused = try await post(envelope([TestEvents.element(4), .object(inside)]), to: endpoint.eventsURL)
            #expect(refused.code == 40002)
            #expect(refused.message.contains("data[1].test_event_code") && refused.message.contains("top level"), "\(refused.message)")
            #expect(mock.stats.uniqueEvents == 2 && mock.stats.testEvents == 1)
        }
    }

    /// Unknown paths and oversized bodies are answered in TikTok's JSON, as a client reads them.
    @Test func answersErrorsInTikTokJSON() async throws {
        try await withMockTikTok(.init(maxBodyBytes: 1_000)) { _, endpoint throws in
            let missing = try await post("{}", to: endpoint.baseURL + "/open_api/v1.3/nowhere/")
            #expect(missing.status == 404 && missing.code != nil && missing.message.contains("not an Events API path"))
            guard case .misconfigured = missing.outcome() else {
                Issue.record("a 404 means the endpoint is wrong: \(missing.outcome())")
                return
            }
            let large = try await post(envelope((0..<20).map { TestEvents.element($0) }), to: endpoint.eventsURL)
            #expect(large.status == 413, "\(large.status)")
            #expect(large.code == 40002 && large.message.contains("too large"), "\(large.describe())")
        }
    }

    /// A connection that sends nothing is closed after the idle timeout.
    @Test func closesIdleConnections() async throws {
        try await withMockTikTok(.init(idleTimeout: .milliseconds(300))) { _, endpoint throws in
            let port = try #require(Int(endpoint.baseURL.split(separator: ":").last.map(String.init) ?? ""))
            let socket = try LoopbackSocket(port: port)
            let start = ContinuousClock.now
            #expect(socket.readUntilClosed(timeout: .seconds(10)), "the stand-in closed the connection")
            #expect(ContinuousClock.now - start < .seconds(5))
        }
    }

    @Test func refusesMoreThanAThousandEvents() async throws {
        try await withMockTikTok { _, endpoint throws in
            let reply = try await post(envelope((0..<1_001).map { TestEvents.element($0) }), to: endpoint.eventsURL)
            #expect(reply.code == 40002 && reply.message.contains("at most 1000"))
        }
    }

    @Test func checksTheAccessToken() async throws {
        try await withMockTikTok { _, endpoint throws in
            #expect(try await post(envelope([TestEvents.element(0)]), to: endpoint.eventsURL, token: nil).code == 40001)
        }
        try await withMockTikTok(.init(badToken: true)) { _, endpoint throws in
            #expect(try await post(envelope([TestEvents.element(0)]), to: endpoint.eventsURL).code == 40001)
        }
    }

    @Test func aRevokedTokenIsRefusedAndOthersStillWork() async throws {
        try await withMockTikTok { mock, endpoint throws in
            let body = envelope([TestEvents.element(0)])
            #expect(try await post("", to: endpoint.baseURL + "/__revoke", token: "old-token").code == 0)
            #expect(try await post(body, to: endpoint.eventsURL, token: "old-token").code == 40105)
            #expect(try await post(body, to: endpoint.eventsURL, token: "new-token").code == 0)
            #expect(mock.stats.uniqueEvents == 1)
        }
    }

    @Test func injectsRateLimitsAndServerErrors() async throws {
        try await withMockTikTok(.init(rateLimitEvery: 3, retryAfterSeconds: 1)) { _, endpoint throws in
            var codes: [Int?] = []
            for _ in 0..<6 { codes.append(try await post(envelope([TestEvents.element(0)]), to: endpoint.eventsURL).code) }
            #expect(codes == [0, 0, 40100, 0, 0, 40100])
        }
        try await withMockTikTok(.init(failRate: 0.5)) { mock, endpoint throws in
            var statuses: [Int] = []
            for _ in 0..<40 { statuses.append(try await post(envelope([TestEvents.element(0)]), to: endpoint.eventsURL).status) }
            let failures = statuses.filter { $0 == 500 }.count
            #expect(failures > 5 && failures < 35)
            #expect(mock.stats.rejectedRequests == failures)
        }
    }

    /// Events carried by two requests being answered at the same time are counted, whatever the
    /// answer; the same events sent one after the other are not.
    @Test func countsEventsInFlightInTwoRequestsAtOnce() async throws {
        try await withMockTikTok(.init(failRate: 0.5, latency: .milliseconds(300))) { mock, endpoint throws in
            let body = envelope((0..<5).map { TestEvents.element($0) })
            async let first = post(body, to: endpoint.eventsURL)
            async let second = post(envelope((3..<8).map { TestEvents.element($0) }), to: endpoint.eventsURL)
            _ = try await (first, second)
            #expect(mock.stats.overlappingEvents == 2)
            _ = try await post(body, to: endpoint.eventsURL)
            #expect(mock.stats.overlappingEvents == 2)
        }
    }

    @Test func servesStatsAsJSON() async throws {
        try await withMockTikTok { _, endpoint throws in
            _ = try await post(envelope([TestEvents.element(0), TestEvents.element(1)]), to: endpoint.eventsURL)
            _ = try await post(envelope([TestEvents.badElement(0)]), to: endpoint.eventsURL)
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: endpoint.baseURL + "/__stats"), timeout: .seconds(5))
            let stats = try JSON.parse(bytes: try await response.body.collect(upTo: 1 << 16).readableBytesView)
            #expect(stats == ["event_sets": ["set-1": ["event_source": "offline", "events_received": 2, "rejected_requests": 1, "requests": 1, "test_events": 0, "unique_events": 2]], "events_received": 2, "overlapping_events": 0, "rejected_requests": 1, "requests": 2, "test_events": 0, "unique_events": 2])
        }
    }

    @Test func answersTheConnectionCheck() async throws {
        try await withMockTikTok { _, endpoint throws in
            let client = TikTokEventsClient(endpoint: endpoint, routes: [])
            #expect(await client.checkConnection(eventSetID: "set-1", accessToken: "good") == .valid)
            guard case .refused(let reply) = await client.checkConnection(eventSetID: "", accessToken: "good") else {
                Issue.record("an empty event set id must be refused")
                return
            }
            #expect(reply.code == 40002)
        }
        try await withMockTikTok(.init(badToken: true)) { _, endpoint throws in
            let client = TikTokEventsClient(endpoint: endpoint, routes: [])
            guard case .refused(let reply) = await client.checkConnection(eventSetID: "set-1", accessToken: "bad") else {
                Issue.record("a bad token must be refused")
                return
            }
            #expect(reply.code == 40001)
        }
        let unreachable = TikTokEventsClient(endpoint: TikTokEndpoint(baseURL: "http://127.0.0.1:1"), routes: [], timeout: .seconds(2))
        guard case .unreachable = await unreachable.checkConnection(eventSetID: "set-1", accessToken: "t") else {
            Issue.record("a closed port is unreachable")
            return
        }
    }
}
