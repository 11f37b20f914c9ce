import AsyncHTTPClient
import Foundation
import JSONKit
import MappingKit
import NIOCore
import NIOHTTP1
import ProcessTesting
import Synchronization
import Testing

/// `tiktok-offline serve` on an ephemeral loopback port, delivering to a mock-tiktok.
final class ServeProcess: Sendable {
    static let writeKey = "wk-test"
    static let adminToken = "admin-test"
    static let webhookSecret = "whsec-test"

    let tool: ToolProcess
    let baseURL: String

    /// Starts serve and waits for its "listening on" line (at most `startTimeout`).
    init(
        mock: MockProcess, in directory: TemporaryDirectory, outbox: String? = nil, flags: [String] = [], name: String = "serve",
        startTimeout: Duration = .seconds(60)
    ) async throws {
        let arguments = [
            "serve", "--port", "0", "--outbox", outbox ?? directory.file("outbox.sqlite"), "--endpoint", mock.baseURL,
            "--access-token", "test-token", "--event-set-id", "set-1", "--write-key", Self.writeKey,
            "--admin-token", Self.adminToken, "--webhook-secret", Self.webhookSecret,
        ] + flags
        let tool = try ToolProcess(arguments, in: directory, name: "\(name)-\(UUID().uuidString.prefix(6))")
        baseURL = try await tool.line(startingWith: "listening on ", onStderr: true, timeout: startTimeout)
        self.tool = tool
    }

    static var basicAuth: String { "Basic " + Data("\(writeKey):".utf8).base64EncodedString() }

    struct Reply: Sendable {
        var status: Int
        var body: String
        var json: JSON? { try? JSON.parse(body) }
    }

    func post(_ path: String, _ body: [UInt8], headers: [(String, String)] = [("Authorization", basicAuth)]) async throws -> Reply {
        try await Self.request(baseURL + path, method: .POST, body: body, headers: headers)
    }

    func post(_ path: String, json: String, headers: [(String, String)] = [("Authorization", basicAuth)]) async throws -> Reply {
        try await post(path, Array(json.utf8), headers: [("Content-Type", "application/json")] + headers)
    }

    func get(_ path: String, headers: [(String, String)] = []) async throws -> Reply {
        try await Self.request(baseURL + path, method: .GET, body: nil, headers: headers)
    }

    static func request(
        _ url: String, method: HTTPMethod, body: [UInt8]?, headers: [(String, String)], timeout: TimeAmount = .seconds(60)
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return Reply(status: Int(response.status.code), body: String(buffer: bytes))
    }

    /// SIGTERM, and the exit status once it has drained and stopped (killed after `limit`).
    func stop(within limit: Duration = .seconds(240)) async -> Int32 {
        await tool.stop(within: limit)
    }
}

/// Segment events for the tests: "Order Completed" fires the enabled Complete Payment preset.
enum SegmentCalls {
    static func orderCompleted(_ n: Int, messageID: String? = nil, type: Bool = false, padding: Int = 0) -> String {
        var fields = [
            #""userId":"user-\#(n)""#, #""event":"Order Completed""#,
            #""messageId":"\#(messageID ?? "msg-\(n)")""#,
            #""properties":{"order_id":"order-\#(n)","revenue":\#(n % 90 + 10).5,"currency":"USD","email":"Buyer\#(n)@Example.com"\#(padding > 0 ? #","note":""# + String(repeating: "x", count: padding) + #"""# : "")}"#,
        ]
        if type { fields.insert(#""type":"track""#, at: 0) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func batch(_ range: Range<Int>, prefix: String = "msg") -> String {
        #"{"batch":["# + range.map { orderCompleted($0, messageID: "\(prefix)-\($0)", type: true) }.joined(separator: ",") + "]}"
    }
}

/// A value that concurrent client tasks share.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}
