import Foundation
import JSONKit
import MappingKit
import ProcessTesting
import Testing

/// The live debug view: its event stream read directly, and its page in a real browser.
@Suite("serve: live debug view (processes)", .timeLimit(.minutes(5)))
struct DebugViewTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A mappings folder whose Complete Payment takes its test code from `properties.test_event_code`.
    static func mappingsWithTestCode(in directory: TemporaryDirectory) throws -> String {
        let folder = directory.file("mappings")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let preset = try String(contentsOf: root.appendingPathComponent("mappings/tiktok-offline/complete-payment.yaml"), encoding: .utf8)
        let anchor = try #require(preset.range(of: "mapping:\n  event: CompletePayment\n"))
        let edited = preset.replacingCharacters(
            in: anchor, with: "mapping:\n  event: CompletePayment\n  test_event_code: !path $.properties.test_event_code\n")
        try edited.write(toFile: folder + "/complete-payment.yaml", atomically: true, encoding: .utf8)
        return folder
    }

    static func order(_ n: Int, code: String?) -> String {
        let event = SegmentCalls.orderCompleted(n)
        guard let code else { return event }
        return event.replacingOccurrences(of: #""currency":"USD""#, with: #""currency":"USD","test_event_code":"\#(code)""#)
    }

    /// The stream, read as the page reads it: only the chosen code's events, stored then
    /// delivered with TikTok's request_id, with the per-stage trace, and never a raw identifier.
    @Test func theStreamFollowsEachEventOfATestCodeToItsOutcome() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(in: directory)
        let serve = try await ServeProcess(mock: mock, in: directory, flags: ["--mappings", try Self.mappingsWithTestCode(in: directory)])
        let stream = try ToolProcess(
            ["-sN", "-H", "Authorization: Bearer \(ServeProcess.adminToken)", serve.baseURL + "/debug/events?test_event_code=TEST42"],
            in: directory, name: "curl", executable: "/usr/bin/curl")
        try await waitUntil { stream.stdout.contains(": connected") }
        #expect(try await serve.post("/v1/track", json: Self.order(1, code: "TEST42")).status == 200)
        #expect(try await serve.post("/v1/track", json: Self.order(2, code: nil)).status == 200)
        #expect(try await serve.post("/v1/track", json: Self.order(3, code: "OTHER")).status == 200)
        try await waitUntil { stream.stdout.contains(#""outcome":"delivered""#) }
        // SIGKILL: a child of the test process may inherit SIGTERM ignored.
        stream.signal(SIGKILL)
        await stream.wait()
        let messages = try stream.stdout.split(separator: "\n").filter { $0.hasPrefix("data: ") }.map { try JSON.parse(String($0.dropFirst(6))) }
        #expect(messages.map { $0["message_id"] } == ["msg-1", "msg-1"], "only the chosen code's events")
        #expect(messages.map { $0["outcome"] } == ["stored", "delivered"])
        #expect(messages[1]["request_id"]?.stringValue?.isEmpty == false)
        let stages = messages[0]["trace"]?.arrayValue?.compactMap { $0["stage"]?.stringValue }
        #expect(stages == ["consent", "normalize", "hash", "validate", "send"])
        #expect(!stream.stdout.lowercased().contains("buyer1@example.com"), "identifiers appear hashed only")
        #expect(await serve.stop() == 0)
        await mock.stop()
    }

    /// Headless Chromium on `/debug`: a person's steps — token, test code, watch — and the event
    /// sent with that code appears and turns `delivered`; no raw email anywhere in the page.
    @Test func aPersonWatchesATestEventArriveInABrowser() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(in: directory)
        let serve = try await ServeProcess(mock: mock, in: directory, flags: ["--mappings", try Self.mappingsWithTestCode(in: directory)])
        let script = Self.root.appendingPathComponent("Tests/TikTokOfflineServerTests/Clients/debug_view_browser.py").path
        let browser = try ToolProcess.python(
            [script, serve.baseURL, ServeProcess.adminToken, "TEST77", "msg-5", "Buyer5@Example.com"], in: directory)
        try await waitUntil(timeout: .seconds(60)) {
            if !browser.process.isRunning {
                throw ToolError("the browser script stopped (are chromium, chromium-driver and selenium installed? scripts/setup.sh installs them): \(browser.stderr)")
            }
            return browser.stdout.contains("READY")
        }
        #expect(try await serve.post("/v1/track", json: Self.order(4, code: nil)).status == 200)
        #expect(try await serve.post("/v1/track", json: Self.order(5, code: "TEST77")).status == 200)
        #expect(await browser.wait() == 0, "\(browser.stderr)")
        let report = try JSON.parse(try #require(browser.stdout.split(separator: "\n").last.map(String.init)))
        let rows = try #require(report["rows"]?.arrayValue)
        #expect(rows.map { $0["message_id"] } == ["msg-5"], "only the event with the chosen code is shown")
        #expect(rows.first?["outcome"] == "delivered")
        #expect(rows.first?["text"]?.stringValue?.contains("request_id") == true)
        #expect(report["raw_email_found"] == false)
        #expect(await serve.stop() == 0)
        await mock.stop()
    }
}
