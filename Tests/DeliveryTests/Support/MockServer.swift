import AsyncHTTPClient
import ConversionEngine
import Foundation
import JSONKit
import MappingKit
import NIOCore
import Testing
import TikTokMock
import TikTokOffline
import TikTokEventsAPI

/// Runs `body` against a stand-in listening on an ephemeral loopback port, then stops it.
func withMockTikTok<T>(
    _ configuration: MockTikTokConfiguration = .init(),
    _ body: (MockTikTok, TikTokEndpoint) async throws -> T
) async throws -> T {
    let mock = MockTikTok(configuration: configuration)
    let port = try await mock.start()
    do {
        let result = try await body(mock, TikTokEndpoint(baseURL: "http://127.0.0.1:\(port)"))
        await mock.stop()
        return result
    } catch {
        await mock.stop()
        throw error
    }
}

/// Posts a raw body to the stand-in and returns TikTok's reply.
func post(_ body: String, to url: String, token: String? = "test-token") async throws -> TikTokReply {
    var request = HTTPClientRequest(url: url)
    request.method = .POST
    if let token { request.headers.add(name: "Access-Token", value: token) }
    request.headers.add(name: "Content-Type", value: "application/json")
    request.body = .bytes(ByteBuffer(string: body))
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
    let bytes = try await response.body.collect(upTo: 1 << 20)
    return TikTokReply(status: Int(response.status.code), body: bytes.readableBytesView)
}

/// A request body for `elements` as the envelope writer would send it.
func envelope(_ elements: [JSON], eventSetID: String = "set-1") -> String {
    let data = elements.map { $0.serialized() }.joined(separator: ",")
    return #"{"event_source":"offline","event_source_id":"\#(eventSetID)","data":[\#(data)]}"#
}

