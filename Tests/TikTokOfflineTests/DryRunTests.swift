import ConversionEngine
import Foundation
import JSONKit
import MappingKit
import Testing

@testable import TikTokOffline

@Suite struct DryRunTests {
    static let order = #"{"type":"track","event":"Order Completed","userId":"u-1","timestamp":"2024-01-08T13:52:50.212Z","properties":{"email":"a@b.co","products":[{"product_id":"p","price":"2.5"}]}}"#

    @Test func printsOneBodyPerEventAndFiredMapping() async throws {
        let (lines, _, summary) = try await DryRunHarness.run(Self.order + "\n" + #"{"type":"page","userId":"u-2"}"# + "\n")
        #expect(lines.count == 2)
        #expect(lines[0]["line"] == 1)
        #expect(lines[0]["mapping"] == "Complete Payment")
        #expect(lines[0]["body"]?["event_source_id"] == "set-1")
        #expect(lines[0]["body"]?["data"]?.arrayValue?.count == 1)
        #expect(lines[1]["line"] == 2)
        #expect(lines[1]["mapping"] == "Page View")
        #expect(summary.accepted == 2 && summary.received == 2 && summary.badLines == 0)
    }

    @Test func badLinesAreReportedAndTheRunGoesOn() async throws {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        let huge = #"{"type":"track","x":""# + String(repeating: "a", count: 1_100_000) + #""}"#
        let input = ["{not json", "[1,2]", "\"text\"", "", deep, huge, Self.order].joined(separator: "\n")
        let (lines, _, summary) = try await DryRunHarness.run(input)
        let byLine = Dictionary(grouping: lines) { Int($0["line"]!.doubleValue!) }
        #expect(byLine[1]?.first?["error"]?.stringValue?.hasPrefix("invalid JSON at column 2") == true)
        #expect(byLine[2]?.first?["error"] == "an event must be a JSON object, got array")
        #expect(byLine[3]?.first?["error"] == "an event must be a JSON object, got string")
        #expect(byLine[4] == nil, "blank lines are skipped")
        #expect(byLine[5]?.first?["error"]?.stringValue?.contains("nest") == true)
        #expect(byLine[6]?.first?["error"]?.stringValue?.contains("over the limit") == true)
        #expect(byLine[7]?.first?["mapping"] == "Complete Payment")
        #expect(lines.map { Int($0["line"]!.doubleValue!) } == [1, 2, 3, 5, 6, 7], "output keeps input order")
        #expect(summary.badLines == 5)
    }

    @Test func rejectedRecordsCarryTheirReason() async throws {
        let noIdentifier = #"{"type":"track","event":"Callback Started","timestamp":"2024-01-08T13:52:50Z"}"#
        let badValue = #"{"type":"track","event":"Callback Started","userId":"u","properties":{"value":"N/A"}}"#
        let (lines, _, _) = try await DryRunHarness.run(noIdentifier + "\n" + badValue)
        #expect(lines[0]["error"]?.stringValue?.hasPrefix("no valid identifier") == true)
        #expect(lines[1]["error"] == "schema: value must be a number but it was a string")
    }

    @Test func noPersonalDataInOutputOrTraces() async throws {
        let email = "Jane.Doe+vip@Example.ORG"
        let phone = "+1 (415) 555-0199"
        let userID = "CUSTOMER-8675309"
        let events = [
            #"{"type":"track","event":"Order Completed","userId":"\#(userID)","properties":{"email":"  \#(email) ","phone":"\#(phone)"}}"#,
            #"{"type":"track","event":"Signed Up","anonymousId":"\#(userID)","context":{"traits":{"email":"\#(email)","phone":"\#(phone)"}}}"#,
            #"{"type":"track","event":"Callback Started","userId":"\#(userID)","properties":{"email":"not-an-email-\#(userID)","phone":"12"}}"#,
            #"{"\#(email)" "\#(phone)"}"#,
        ]
        let (lines, text, _) = try await DryRunHarness.run(events.joined(separator: "\n"), trace: true)
        #expect(lines.count > 3, "traces were written")
        let forbidden = [
            email, email.lowercased(), phone, "+14155550199", "14155550199", "4155550199", userID, userID.lowercased(),
            "not-an-email", "jane.doe",
        ]
        for value in forbidden {
            #expect(!text.lowercased().contains(value.lowercased()), "output contains \(value)")
        }
    }

    @Test func consentIsHonoured() async throws {
        func event(_ consent: String) -> String {
            #"{"type":"track","event":"Signed Up","userId":"u","context":{"consent":{"categoryPreferences":\#(consent)}}}"#
        }
        let input = [event(#"{"Advertising":false}"#), event(#"{"Advertising":true}"#), #"{"type":"track","event":"Signed Up","userId":"u"}"#]
            .joined(separator: "\n")
        let (lines, _, summary) = try await DryRunHarness.run(input)
        #expect(lines[0]["skipped"] == "no consent")
        #expect(lines[1]["body"] != nil)
        #expect(lines[2]["body"] != nil)
        #expect(summary.skipped == 1)

        let strict = TikTokSettings(eventSetID: "s", requireConsent: true, staleEvents: .off)
        let (strictLines, _, _) = try await DryRunHarness.run(input, settings: strict)
        #expect(strictLines.map { $0["skipped"] } == ["no consent", nil, "no consent"])
    }

    @Test func settingsShapeTheRequest() async throws {
        let settings = TikTokSettings(eventSetID: "s-9", testEventCode: "TEST42", staleEvents: .off)
        let (lines, _, _) = try await DryRunHarness.run(Self.order, settings: settings)
        let body = try #require(lines.first?["body"])
        #expect(body["partner_name"] == nil, "partner_name is omitted when unset")
        #expect(body["event_source"] == "offline")
        #expect(body["event_source_id"] == "s-9")
        #expect(body["test_event_code"] == "TEST42", "TikTok reads it at the top level")
        #expect(body["data"]?.arrayValue?.first?["test_event_code"] == nil, "and ignores it inside data")
        #expect(body["data"]?.arrayValue?.first?["limited_data_use"] == false)
    }
}
