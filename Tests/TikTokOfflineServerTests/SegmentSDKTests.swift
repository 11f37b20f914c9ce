import Foundation
import JSONKit
import MappingKit
import ProcessTesting
import Testing

/// Segment's own Python SDK (segment-analytics-python from PyPI), pointed at serve with `host`.
@Suite("serve: Segment's Python SDK (processes)", .timeLimit(.minutes(5)))
struct SegmentSDKTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// 300 corpus events (track and page) and 20 identify calls go through the SDK; every event
    /// an enabled preset fires for reaches the stand-in — as many as `dry-run` shows for the
    /// same calls — and the metrics account for all of them.
    @Test func everyEventAPresetFiresForReachesTikTok() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let corpus = Self.root.appendingPathComponent("Tests/TikTokOfflineTests/Fixtures/corpus/segment-events-2000.ndjson")
        var calls: [String] = []
        for line in try String(contentsOf: corpus, encoding: .utf8).split(separator: "\n") where calls.count < 300 {
            guard let event = try? JSON.parse(String(line)), event["userId"]?.stringValue != nil || event["anonymousId"]?.stringValue != nil
            else { continue }
            calls.append(String(line))
        }
        for n in 0..<20 {
            calls.append(#"{"type":"identify","userId":"user-\#(n)","messageId":"identify-\#(n)","traits":{"email":"person\#(n)@example.com"}}"#)
        }
        let events = directory.file("calls.ndjson")
        try (calls.joined(separator: "\n") + "\n").write(toFile: events, atomically: true, encoding: .utf8)

        let dryRun = try ToolProcess(["dry-run", "--input", events, "--event-set-id", "set-1", "--stale-events", "off"], in: directory, name: "dry-run")
        #expect(await dryRun.wait() == 0)
        var expected = Set<String>()
        for line in dryRun.stdout.split(separator: "\n") {
            guard let element = try JSON.parse(String(line))["body"]?["data"]?.arrayValue?.first else { continue }
            expected.insert("\(element["event"]?.stringValue ?? "")/\(element["event_id"]?.stringValue ?? "")")
        }
        try #require(expected.count > 50, "the corpus sample should fire presets")

        let mock = try await MockProcess(in: directory)
        let serve = try await ServeProcess(mock: mock, in: directory, flags: ["--stale-events", "off"])
        let script = Self.root.appendingPathComponent("Tests/TikTokOfflineServerTests/Clients/analytics_python_send.py").path
        let python = try ToolProcess.python([script, serve.baseURL, ServeProcess.writeKey, events], in: directory)
        let status = await python.wait()
        try #require(status == 0, "the SDK script failed (is `pip install segment-analytics-python` done? scripts/setup.sh installs it): \(python.stderr)")
        let report = try JSON.parse(python.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(report["sent"] == .int(calls.count))
        #expect(report["errors"] == .array([]), "the SDK reported errors")

        let metrics = try await serve.get("/metrics", headers: [("Authorization", "Bearer \(ServeProcess.adminToken)")]).body
        func count(_ outcome: String) -> Int {
            metrics.split(separator: "\n").first { $0.hasPrefix(#"ingest_events_total{route="/v1/batch",outcome="\#(outcome)"}"#) }
                .flatMap { $0.split(separator: " ").last }.flatMap { Int($0) } ?? 0
        }
        #expect(count("stored") + count("rejected") + count("skipped") + count("unmapped") + count("refused") >= calls.count)
        #expect(count("unmapped") >= 20, "identify calls fire no preset")
        #expect(await serve.stop() == 0)
        let delivered = Set(try #require(try await ServeProcess.request(
            mock.baseURL + "/__event_ids", method: .GET, body: nil, headers: []).json?["event_ids"]?.arrayValue).compactMap(\.stringValue))
        #expect(delivered == Set(expected.map { String($0.split(separator: "/", maxSplits: 1).last ?? "") }))
        #expect(try await mock.uniqueEvents() == expected.count)
        await mock.stop()
    }
}

extension ToolProcess {
    /// `python3` with `arguments`, its output in files like the tool's.
    static func python(_ arguments: [String], in directory: TemporaryDirectory) throws -> ToolProcess {
        try ToolProcess(arguments, in: directory, name: "python-\(UUID().uuidString.prefix(6))", executable: "/usr/bin/env", prefix: ["python3"])
    }
}
