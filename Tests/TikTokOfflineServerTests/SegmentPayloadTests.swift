import Foundation
import JSONKit
import MappingKit
import Testing
@testable import TikTokOfflineServer

/// How request bodies become events: Segment's shapes, merging and checks.
@Suite("Segment payloads")
struct SegmentPayloadTests {
    static func events(_ decoded: SegmentPayload.Decoded) throws -> [JSON] {
        try decoded.events.entries.map { entry in
            try JSON.parse(bytes: Array(decoded.events.storage[entry.bytes!]))
        }
    }

    @Test(arguments: [("/v1/track", "track"), ("/v1/t", "track"), ("/v1/i", "identify"), ("/v1/p", "page"), ("/v1/s", "screen"), ("/v1/g", "group"), ("/v1/a", "alias")])
    func aSingleCallTakesItsTypeFromThePath(path: String, type: String) throws {
        let shape = try #require(TikTokOfflineServer.trackingPaths.first { $0.path == path }?.shape)
        let body = #"{"type":"page","userId":"u","event":"E","previousId":"p"}"#
        let decoded = try SegmentPayload.decode(Array(body.utf8), shape: shape, maxEventBytes: 32_768)
        #expect(try Self.events(decoded).first?["type"] == .string(type))
    }

    @Test func aBatchMergesItsContextAndIntegrationsUnderEachEventsOwn() throws {
        let body = #"""
        {"batch":[{"type":"track","userId":"u","event":"A","context":{"ip":"1.1.1.1"},"integrations":{"X":false}},
                  {"type":"identify","anonymousId":"a"}],
         "context":{"ip":"9.9.9.9","locale":"en-US"},"integrations":{"All":true},"writeKey":"k","sentAt":"2024-01-01T00:00:00Z"}
        """#
        let decoded = try SegmentPayload.decode(Array(body.utf8), shape: .batch, maxEventBytes: 32_768)
        let events = try Self.events(decoded)
        #expect(decoded.writeKey == "k")
        #expect(events[0]["context"] == ["ip": "1.1.1.1", "locale": "en-US"])
        #expect(events[0]["integrations"] == ["All": true, "X": false])
        #expect(events[1]["context"] == ["ip": "9.9.9.9", "locale": "en-US"])
        #expect(decoded.events.entries.map(\.number) == [1, 2])
    }

    @Test func missingMessageIdsAreGivenOneAndTheWriteKeyIsRemoved() throws {
        let body = #"{"userId":"u","event":"A","writeKey":"secret"}"#
        let decoded = try SegmentPayload.decode(Array(body.utf8), shape: .single("track"), maxEventBytes: 32_768)
        let event = try #require(try Self.events(decoded).first)
        let id = try #require(event["messageId"]?.stringValue)
        #expect(id.hasPrefix("srv-") && id.count == 40)
        #expect(decoded.messageIDs == [id])
        #expect(event["writeKey"] == nil && decoded.writeKey == "secret")
        #expect(event["receivedAt"]?.stringValue?.hasSuffix("Z") == true)
        let again = try SegmentPayload.decode(Array(body.utf8), shape: .single("track"), maxEventBytes: 32_768)
        #expect(again.messageIDs != decoded.messageIDs)
    }

    static let refusals: [(event: String, reason: String)] = [
        (#"5"#, "must be a JSON object, got number"),
        (#"{"userId":"u","event":"A"}"#, "no \"type\""),
        (#"{"type":"purchase","userId":"u"}"#, "unknown event type"),
        (#"{"type":"track","event":"A"}"#, "neither \"userId\" nor \"anonymousId\""),
        (#"{"type":"track","userId":""}"#, "neither"),
        (#"{"type":"track","userId":"u"}"#, "needs an \"event\" name"),
        (#"{"type":"identify","userId":"u","traits":{"note":"\#(String(repeating: "x", count: 40_000))"}}"#, "over the limit of 32768 bytes per event"),
    ]

    @Test(arguments: refusals)
    func anUnusableEventInABatchIsRefusedAlone(event: String, reason: String) throws {
        let body = #"{"batch":[{"type":"identify","userId":"ok-1"},\#(event),{"type":"identify","anonymousId":"ok-2"}]}"#
        let decoded = try SegmentPayload.decode(Array(body.utf8), shape: .batch, maxEventBytes: 32_768)
        #expect(decoded.events.entries.map(\.number) == [1, 3])
        #expect(decoded.refused.count == 1 && decoded.refused[0].index == 1)
        #expect(decoded.refused[0].reason.contains(reason), "\(decoded.refused[0].reason)")
    }

    @Test(arguments: [
        (#"{"userId":"u","#, SegmentPayload.Shape.single("track"), "invalid JSON at column"),
        (#"{"userId":"secret@example.com""#, .single("track"), "invalid JSON"),
        (#"[1,2]"#, .batch, "must be a JSON object"),
        (#"{"events":[]}"#, .batch, "no \"batch\" array"),
        (#"{"type":"track","event":"A"}"#, .single("track"), "neither"),
    ])
    func anUnusableBodyIsRefusedWithAReasonThatRepeatsNoInput(body: String, shape: SegmentPayload.Shape, reason: String) {
        #expect {
            try SegmentPayload.decode(Array(body.utf8), shape: shape, maxEventBytes: 32_768)
        } throws: { error in
            let message = "\(error)"
            return message.contains(reason) && !message.contains("example.com")
        }
    }

    @Test func aWebhookTakesOneEventOrAnArray() throws {
        let one = try SegmentPayload.decode(Array(#"{"type":"identify","userId":"u"}"#.utf8), shape: .webhook, maxEventBytes: 32_768)
        let many = try SegmentPayload.decode(
            Array(#"[{"type":"identify","userId":"u"},{"type":"page","anonymousId":"a"}]"#.utf8), shape: .webhook, maxEventBytes: 32_768)
        #expect(one.events.count == 1 && many.events.count == 2 && many.refused.isEmpty)
    }
}
