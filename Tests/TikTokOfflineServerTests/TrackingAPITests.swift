import CompressNIO
import Crypto
import Foundation
import JSONKit
import MappingKit
import NIOCore
import NIOHTTP1
import ProcessTesting
import Testing

/// Segment's Tracking API and Webhooks against a real `serve` and a real stand-in: what each
/// call is answered, and — after a graceful stop that drains delivery — exactly how many
/// events reached the stand-in (nothing from a refused call).
@Suite("serve: Tracking API and webhooks (processes)", .timeLimit(.minutes(5)))
struct TrackingAPITests {
    struct Call: Sendable, CustomTestStringConvertible {
        var name: String
        var path: String
        var body: [UInt8]
        var headers: [(String, String)]
        var status: Int
        /// Events the stand-in must have received in the end.
        var delivered: Int
        /// A part of the answer's text.
        var answer: String

        var testDescription: String { name }
    }

    static let auth = ("Authorization", ServeProcess.basicAuth)
    static let json = ("Content-Type", "application/json")
    static let one = Array(SegmentCalls.orderCompleted(1).utf8)

    static func gzip(_ bytes: [UInt8]) -> [UInt8] {
        var buffer = ByteBuffer(bytes: bytes)
        return Array(try! buffer.compress(with: .gzip()).readableBytesView)
    }

    static func signature(_ body: [UInt8], secret: String = ServeProcess.webhookSecret) -> String {
        HMAC<Insecure.SHA1>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
            .map { String(format: "%02x", $0) }.joined()
    }

    static let calls: [Call] = {
        let withKeyInBody = Array(#"{"writeKey":"\#(ServeProcess.writeKey)","#.utf8) + one.dropFirst()
        let wrongKeyInBody = Array(#"{"writeKey":"nope","#.utf8) + one.dropFirst()
        let mixedBatch = Array(#"{"batch":[\#(SegmentCalls.orderCompleted(1, type: true)),{"type":"track","event":"Order Completed"},\#(SegmentCalls.orderCompleted(3, type: true))],"context":{"ip":"203.0.113.9"}}"#.utf8)
        let webhook = Array("[\(SegmentCalls.orderCompleted(7, type: true)),\(SegmentCalls.orderCompleted(8, type: true))]".utf8)
        let gzippedWebhook = gzip(webhook)
        // A batch that inflates to 600,000 bytes, just past the 512,000-byte limit (CompressNIO's
        // own bound let up to 720,000 through).
        let overLimit = gzip(Array(#"{"batch":[\#(SegmentCalls.orderCompleted(1, type: true))],"pad":""#.utf8)
            + Array(repeating: UInt8(ascii: "a"), count: 600_000) + Array(#""}"#.utf8))
        let bomb = gzip(Array(#"{"batch":[],"pad":""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: 2 << 20) + Array(#""}"#.utf8))
        return [
            Call(name: "track, key as Basic user", path: "/v1/track", body: one, headers: [auth, json], status: 200, delivered: 1, answer: #"{"success":true}"#),
            Call(name: "the SDKs' short path", path: "/v1/t", body: one, headers: [auth, json], status: 200, delivered: 1, answer: #""success":true"#),
            Call(name: "key as writeKey in the body", path: "/v1/track", body: withKeyInBody, headers: [json], status: 200, delivered: 1, answer: #""success":true"#),
            Call(name: "text/plain body", path: "/v1/track", body: one, headers: [auth, ("Content-Type", "text/plain")], status: 200, delivered: 1, answer: #""success":true"#),
            Call(name: "gzip body", path: "/v1/batch", body: gzip(Array(SegmentCalls.batch(0..<3).utf8)), headers: [auth, json, ("Content-Encoding", "gzip")], status: 200, delivered: 3, answer: #""success":true"#),
            Call(name: "wrong write key", path: "/v1/track", body: one, headers: [("Authorization", "Basic " + Data("nope:".utf8).base64EncodedString()), json], status: 401, delivered: 0, answer: "unknown write key"),
            Call(name: "no write key", path: "/v1/batch", body: Array(SegmentCalls.batch(0..<2).utf8), headers: [json], status: 401, delivered: 0, answer: "no valid write key"),
            Call(name: "wrong writeKey in the body", path: "/v1/track", body: wrongKeyInBody, headers: [json], status: 401, delivered: 0, answer: "no valid write key"),
            Call(name: "malformed JSON", path: "/v1/track", body: Array(#"{"userId":"u","event":"#.utf8), headers: [auth, json], status: 400, delivered: 0, answer: "invalid JSON"),
            Call(name: "event over 32 KB", path: "/v1/track", body: Array(SegmentCalls.orderCompleted(1, padding: 40_000).utf8), headers: [auth, json], status: 400, delivered: 0, answer: "over the limit of 32768 bytes per event"),
            Call(name: "request over 500 KB", path: "/v1/batch", body: Array(SegmentCalls.batch(0..<4_000).utf8), headers: [auth, json], status: 413, delivered: 0, answer: "over the limit of 512000 bytes"),
            Call(name: "gzip that inflates past the limit", path: "/v1/batch", body: bomb, headers: [auth, json, ("Content-Encoding", "gzip")], status: 413, delivered: 0, answer: "over the limit"),
            Call(name: "gzip that inflates just past the limit", path: "/v1/batch", body: overLimit, headers: [auth, json, ("Content-Encoding", "gzip")], status: 413, delivered: 0, answer: "over the limit of 512000 bytes"),
            Call(name: "a bad event in a batch refuses only itself", path: "/v1/batch", body: mixedBatch, headers: [auth, json], status: 200, delivered: 2, answer: #""refused":[{"index":1,"#),
            Call(name: "signed webhook", path: "/webhook", body: webhook, headers: [json, ("X-Signature", signature(webhook))], status: 200, delivered: 2, answer: #""success":true"#),
            Call(name: "webhook signed with another secret", path: "/webhook", body: webhook, headers: [json, ("X-Signature", signature(webhook, secret: "other"))], status: 401, delivered: 0, answer: "X-Signature"),
            Call(name: "gzipped webhook signed over the bytes as sent", path: "/webhook", body: gzippedWebhook, headers: [json, ("Content-Encoding", "gzip"), ("X-Signature", signature(gzippedWebhook))], status: 200, delivered: 2, answer: #""success":true"#),
            Call(name: "gzipped webhook signed over the inflated bytes", path: "/webhook", body: gzippedWebhook, headers: [json, ("Content-Encoding", "gzip"), ("X-Signature", signature(webhook))], status: 401, delivered: 0, answer: "X-Signature"),
            Call(name: "unsigned webhook", path: "/webhook", body: webhook, headers: [json], status: 401, delivered: 0, answer: "X-Signature"),
        ]
    }()

    @Test(arguments: calls)
    func answersAndStoresExactlyWhatItShould(_ call: Call) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(in: directory)
        let serve = try await ServeProcess(mock: mock, in: directory)
        let reply = try await serve.post(call.path, call.body, headers: call.headers)
        #expect(reply.status == call.status, "\(reply.body)")
        #expect(reply.body.contains(call.answer), "\(reply.body)")
        #expect(await serve.stop() == 0, "\(serve.tool.stderr)")
        #expect(try await mock.uniqueEvents() == call.delivered)
        #expect(!serve.tool.stderr.lowercased().contains("example.com"), "no raw email in the service's output")
        await mock.stop()
    }

    @Test func healthReadinessMetricsAndDebugNeedWhatTheyShould() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(in: directory)
        let serve = try await ServeProcess(mock: mock, in: directory)
        #expect(try await serve.get("/healthz").status == 200)
        #expect(try await serve.get("/readyz").json?["ready"] == true)
        #expect(try await serve.get("/metrics").status == 401)
        #expect(try await serve.get("/metrics", headers: [("Authorization", "Bearer wrong")]).status == 401)
        #expect(try await serve.get("/debug/events").status == 401)
        #expect(try await serve.post("/v1/batch", json: SegmentCalls.batch(0..<5)).status == 200)
        let metrics = try await serve.get("/metrics", headers: [("Authorization", "Bearer \(ServeProcess.adminToken)")])
        #expect(metrics.status == 200)
        #expect(metrics.body.contains(#"ingest_events_total{route="/v1/batch",outcome="stored"} 5"#))
        #expect(metrics.body.contains(#"http_requests_total{route="/v1/batch",status="200"} 1"#))
        #expect(metrics.body.contains("ack_latency_seconds_bucket"))
        #expect(metrics.body.contains("outbox_pending_events"))
        #expect(await serve.stop() == 0)
        await mock.stop()
    }

    @Test func withoutAdminTokenOrWebhookSecretTheirEndpointsDoNotExist() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(in: directory)
        let bare = try ToolProcess(
            ["serve", "--port", "0", "--outbox", directory.file("bare.sqlite"), "--endpoint", mock.baseURL,
             "--access-token", "t", "--event-set-id", "s", "--write-key", "k"], in: directory, name: "bare")
        let url = try await bare.line(startingWith: "listening on ", onStderr: true)
        for path in ["/debug", "/debug/events", "/metrics"] {
            #expect(try await ServeProcess.request(url + path, method: .GET, body: nil, headers: []).status == 404, "\(path)")
        }
        #expect(try await ServeProcess.request(url + "/webhook", method: .POST, body: [], headers: []).status == 404)
        bare.signal(SIGTERM)
        #expect(await bare.wait() == 0)
        await mock.stop()
    }

    @Test func serveRefusesToStartWithoutAWriteKey() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let tool = try ToolProcess(
            ["serve", "--port", "0", "--outbox", directory.file("o.sqlite"), "--access-token", "t", "--event-set-id", "s"],
            in: directory, name: "nokey", environment: ["TIKTOK_OFFLINE_WRITE_KEYS": ""])
        #expect(await tool.wait() == 1)
        #expect(tool.stderr.contains("at least one --write-key"))
    }
}
