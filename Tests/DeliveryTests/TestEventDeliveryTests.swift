import Foundation
import JSONKit
import MappingKit
import ProcessTesting
import Testing

/// Live and test events from one input reach TikTok in separate requests, each test code at
/// the top level of its own requests, and all of them are delivered.
@Suite("test events (processes)", .timeLimit(.minutes(2)))
struct TestEventDeliveryTests {
    @Test func liveAndTestEventsAreSentApartAndAllDelivered() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mapping = directory.file("purchases.yaml")
        try """
            name: Purchases
            trigger: event = "Order Completed"
            action: reportOfflineEvent
            mapping:
              event: CompletePayment
              event_id: !path $.messageId
              email_addresses: !path $.properties.email
              test_event_code: !path $.properties.test_code
            """.write(toFile: mapping, atomically: true, encoding: .utf8)
        let codes: [String?] = [nil, "T1", nil, "T2", "T1"]
        let total = 5_000
        let lines = (0..<total).map { i -> String in
            let code = codes[i % codes.count].map { #","test_code":"\#($0)""# } ?? ""
            return #"{"type":"track","event":"Order Completed","messageId":"m-\#(i)","properties":{"email":"u\#(i)@example.com"\#(code)}}"#
        }
        let input = directory.file("events.ndjson")
        try lines.joined(separator: "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let mock = try await MockProcess([], in: directory)
        let run = try ToolProcess(
            ["run", "--input", input, "--mapping", mapping, "--endpoint", mock.baseURL, "--outbox", directory.file("outbox.sqlite"),
             "--access-token", RunCommandTests.token, "--event-set-id", RunCommandTests.eventSetID, "--json-summary"],
            in: directory, name: "run")
        #expect(await run.wait() == 0, "\(run.stderr)")
        let summary = try JSON.parse(String(run.stdout.split(separator: "\n").last ?? ""))
        #expect(summary["sent"] == .int(total) && summary["pending"] == .int(0), "\(summary)")
        let stats = try await mock.stats()
        let live = total * 2 / 5
        #expect(stats["unique_events"] == .int(live), "\(stats)")
        #expect(stats["test_events"] == .int(total - live), "\(stats)")
        #expect(stats["rejected_requests"] == .int(0), "no request carried a code inside data")
        #expect((stats["requests"]?.doubleValue ?? 0) >= 3, "one request or more per code")
        await mock.stop()
    }
}
