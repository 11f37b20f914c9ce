import AsyncHTTPClient
import Foundation
import MappingKit
import NIOCore
import TikTokMock
@testable import TikTokOffline
import Testing

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

    @Test func servesStatsAsJSON() async throws {
        try await withMockTikTok { _, endpoint throws in
            _ = try await post(envelope([TestEvents.element(0), TestEvents.element(1)]), to: endpoint.eventsURL)
            _ = try await post(envelope([TestEvents.badElement(0)]), to: endpoint.eventsURL)
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: endpoint.baseURL + "/__stats"), timeout: .seconds(5))
            let stats = try JSON.parse(bytes: try await response.body.collect(upTo: 1 << 16).readableBytesView)
            #expect(stats == ["events_received": 2, "rejected_requests": 1, "requests": 2, "test_events": 0, "unique_events": 2])
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
