import Foundation
import JSONKit
import MappingKit
import Testing

/// `test_event_code` reaches TikTok's Test Events tab only at the top level of the request body
/// (DIFFERENCES.md 11): whichever way it is set, dry-run shows it there and not in `data`.
@Suite(.timeLimit(.minutes(2))) struct TestEventCodeTests {
    static let order = #"{"type":"track","event":"Order Completed","messageId":"m-1","properties":{"email":"a@example.com","revenue":5}}"#

    static let mapping = """
        name: Test Purchases
        trigger: event = "Order Completed"
        action: reportOfflineEvent
        mapping:
          event: CompletePayment
          event_id: !path $.messageId
          email_addresses: !path $.properties.email
          test_event_code: !path $.properties.test_code
        """

    private func bodies(_ result: Tool.Result) throws -> [JSON] {
        #expect(result.status == 0, "\(result.stderr)")
        return try result.stdout.split(separator: "\n").map { try JSON.parse(String($0)) }.compactMap { $0["body"] }
    }

    private func expectTopLevel(_ body: JSON, code: String?, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(body["test_event_code"]?.stringValue == code, "\(body)", sourceLocation: sourceLocation)
        #expect(body["data"]?.arrayValue?.allSatisfy { $0["test_event_code"] == nil } == true, "never inside data", sourceLocation: sourceLocation)
        if code != nil {
            let keys = body.objectValue.map { Array($0.keys) } ?? []
            #expect(keys.suffix(2) == ["test_event_code", "data"], "before data: \(keys)", sourceLocation: sourceLocation)
        }
    }

    @Test func fromTheFlag() async throws {
        let result = try await Tool.run(["dry-run", "--event-set-id", "s", "--test-event-code", "TEST123"], stdin: Self.order)
        let body = try #require(try bodies(result).first)
        expectTopLevel(body, code: "TEST123")
    }

    @Test func fromTheSettingsFile() async throws {
        let folder = try TemporaryFolder()
        let settings = try folder.write("settings.yaml", "event_set_id: s\ntest_event_code: FROMFILE\n")
        let body = try #require(try bodies(try await Tool.run(["dry-run", "--settings", settings], stdin: Self.order)).first)
        expectTopLevel(body, code: "FROMFILE")
    }

    /// A mapping may set the code per event; events without one stay live (or take the
    /// settings' code), and each body carries the code of its own event.
    @Test func fromAMapping() async throws {
        let folder = try TemporaryFolder()
        let mapping = try folder.write("test-purchases.yaml", Self.mapping)
        let events = [
            #"{"type":"track","event":"Order Completed","messageId":"a","properties":{"email":"a@example.com","test_code":"MAPPED"}}"#,
            #"{"type":"track","event":"Order Completed","messageId":"b","properties":{"email":"b@example.com"}}"#,
        ].joined(separator: "\n")
        let live = try bodies(try await Tool.run(["dry-run", "--event-set-id", "s", "--mapping", mapping], stdin: events))
        #expect(live.count == 2)
        expectTopLevel(live[0], code: "MAPPED")
        expectTopLevel(live[1], code: nil)
        let withDefault = try bodies(try await Tool.run(
            ["dry-run", "--event-set-id", "s", "--mapping", mapping, "--test-event-code", "DEFAULT"], stdin: events))
        expectTopLevel(withDefault[0], code: "MAPPED")
        expectTopLevel(withDefault[1], code: "DEFAULT")
    }
}
