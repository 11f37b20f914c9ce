import ConversionEngine
import Foundation
import JSONKit
import MappingKit
import Testing

@testable import TikTokOffline

/// Events older than TikTok's attribution window: refused, flagged, or let through, as set.
@Suite struct StaleEventsTests {
    static let email = "a@example.com"

    /// Fields of a record `daysOld` before the harness's clock (2024-01-08T13:52:50Z).
    static func fields(daysOld: Int) -> JSONObject {
        let stamps = [0: "2024-01-08T13:52:50Z", 27: "2023-12-12T13:52:50Z", 29: "2023-12-10T13:52:50Z", 400: "2022-12-04T13:52:50Z"]
        return ["event": "CompletePayment", "timestamp": .string(stamps[daysOld]!), "email_addresses": [.string(email)]]
    }

    @Test(arguments: [
        (0, TikTokSettings.StaleEvents.reject, 28, "sent", nil),
        (27, .reject, 28, "sent", nil),
        (29, .reject, 28, "rejected", "stale: the event is 29 days old; TikTok attributes offline events up to 28 days (max_event_age_days)"),
        (29, .warn, 28, "sent", "stale: the event is 29 days old; TikTok attributes offline events up to 28 days (max_event_age_days)"),
        (29, .reject, 30, "sent", nil),
        (400, .off, 28, "sent", nil),
        (400, .reject, 365, "rejected", "stale: the event is 400 days old; TikTok attributes offline events up to 365 days (max_event_age_days)"),
    ] as [(Int, TikTokSettings.StaleEvents, Int, String, String?)])
    func staleEventsFollowTheSetting(daysOld: Int, policy: TikTokSettings.StaleEvents, maxDays: Int, outcome: String, message: String?) async throws {
        let harness = Harness(settings: TikTokSettings(accessToken: "t", eventSetID: "s", maxEventAgeDays: maxDays, staleEvents: policy))
        let record = try await harness.run(fields: Self.fields(daysOld: daysOld))
        switch record.outcome {
        case .sent:
            #expect(outcome == "sent")
            #expect(record.warnings.contains { $0.hasPrefix("stale:") } == (message != nil))
            if let message { #expect(record.warnings.contains(message)) }
        case .rejected(let reason):
            #expect(outcome == "rejected")
            #expect(reason == message)
        default:
            Issue.record("unexpected outcome \(record.outcome)")
        }
    }

    /// Events dated ahead of the clock (2024-01-08T13:52:50Z): a day's margin, then refused as
    /// stale ones are (a mistyped year, a till whose clock is wrong), by the same policy.
    @Test(arguments: [
        ("2024-01-09T01:52:50Z", TikTokSettings.StaleEvents.reject, 1, nil),
        ("2024-01-10T01:52:50Z", .reject, 1,
         "future: the event is dated 36 hours ahead of now; TikTok does not attribute events more than 1 day ahead (max_future_days)"),
        ("2024-01-11T13:52:50Z", .reject, 1,
         "future: the event is dated 3 days ahead of now; TikTok does not attribute events more than 1 day ahead (max_future_days)"),
        ("2024-01-11T13:52:50Z", .reject, 7, nil),
        ("9999-01-01T00:00:00Z", .warn, 1, "future: the event is dated 2912801 days ahead of now; TikTok does not attribute events more than 1 day ahead (max_future_days)"),
        ("9999-01-01T00:00:00Z", .off, 1, nil),
    ] as [(String, TikTokSettings.StaleEvents, Int, String?)])
    func eventsDatedAheadFollowTheSetting(timestamp: String, policy: TikTokSettings.StaleEvents, maxFutureDays: Int, message: String?) async throws {
        let harness = Harness(settings: TikTokSettings(accessToken: "t", eventSetID: "s", maxFutureDays: maxFutureDays, staleEvents: policy))
        let record = try await harness.run(fields: ["event": "CompletePayment", "timestamp": .string(timestamp), "email_addresses": [.string(Self.email)]])
        switch (record.outcome, policy) {
        case (.rejected(let reason), .reject): #expect(reason == message)
        case (.sent, _):
            #expect(message == nil || policy == .warn)
            #expect(record.warnings.filter { $0.hasPrefix("future:") } == (policy == .warn ? [message!] : []))
        default: Issue.record("unexpected outcome \(record.outcome)")
        }
    }

    /// The fused path and the stages judge a date the same way, against the real clock.
    @Test(arguments: [false, true])
    func theFusedPathRefusesEventsDatedAheadToo(trace: Bool) async throws {
        let ahead = ISO8601DateFormatter().string(from: Date().addingTimeInterval(12 * 3600))
        let input = [ahead, "9999-12-31T23:59:59Z"].enumerated().map { n, time in
            #"{"type":"track","event":"Order Completed","messageId":"m-\#(n)","userId":"u","timestamp":"\#(time)","properties":{"email":"a@example.com","order_id":"o","value":1}}"#
        }.joined(separator: "\n") + "\n"
        let (lines, _, totals) = try await DryRunHarness.run(input, settings: TikTokSettings(eventSetID: "set-1"), trace: trace)
        let outcomes = lines.filter { $0["stage"] == nil }
        #expect(outcomes.count == 2, "\(lines)")
        #expect(outcomes.first?["body"] != nil, "12 hours ahead is inside the margin: \(outcomes)")
        #expect(outcomes.last?["error"]?.stringValue?.hasPrefix("future: the event is dated ") == true, "\(outcomes)")
        #expect(totals.accepted == 1 && totals.rejected == 1)
    }

    @Test func anEventWithoutATimestampIsNeverStale() async throws {
        let record = try await Harness().run(fields: ["event": "CompletePayment", "email_addresses": [.string(Self.email)]])
        #expect(record.outcome == .sent)
    }

    @Test(arguments: [
        ("max_event_age_days: 7\nstale_events: warn", 7, TikTokSettings.StaleEvents.warn, nil),
        ("stale_events: never", 28, .reject, "stale_events must be reject, warn or off"),
        ("max_event_age_days: soon", 28, .reject, "max_event_age_days must be a whole number"),
    ] as [(String, Int, TikTokSettings.StaleEvents, String?)])
    func settingsFileReadsTheAgeAndThePolicy(yaml: String, days: Int, policy: TikTokSettings.StaleEvents, error expected: String?) throws {
        do {
            let settings = try TikTokSettings(yaml: "event_set_id: s\n" + yaml, environment: [:])
            #expect(expected == nil)
            #expect(settings.maxEventAgeDays == days && settings.staleEvents == policy)
        } catch let failure {
            #expect(expected.map { "\(failure)".contains($0) } == true, "\(failure)")
        }
        var settings = TikTokSettings(accessToken: "t", eventSetID: "s", maxEventAgeDays: 0)
        #expect(throws: SettingsError.self) { try settings.validate(requireAccessToken: true) }
        settings.maxEventAgeDays = 28
        try settings.validate(requireAccessToken: true)
    }
}

/// The Events API body of a CRM record, byte for byte: `event_source: crm` in the envelope and
/// `lead` in the element, as TikTok's CRM events take them.
@Suite struct CRMRequestTests {
    @Test func aCRMRecordWritesItsLeadAndItsEventSet() async throws {
        let harness = Harness()
        let record = try await harness.run(fields: [
            "event": "Lead", "event_id": "l-1", "timestamp": "2024-01-08T13:52:50Z", "lead_id": "7402938",
            "lead_event_source": "HubSpot", "event_source": "crm", "event_set_id": "7000000000000000009",
        ])
        #expect(record.outcome == .sent)
        var body: [UInt8] = []
        harness.builder.writeBody(serializedData: [record.output!], route: harness.builder.route(for: record.fields), into: &body)
        let expected = #"{"event_source":"crm","event_source_id":"7000000000000000009","partner_name":"Segment","data":[{"event":"Lead","event_time":1704721970,"event_id":"l-1","user":{"external_id":[],"phone":[],"email":[]},"properties":{"contents":[]},"page":{},"lead":{"lead_id":"7402938","lead_event_source":"HubSpot"},"limited_data_use":false}]}"#
        #expect(String(decoding: body, as: UTF8.self) == expected)
    }

    @Test func anOfflineRecordKeepsItsLeadIDAmongTheUsersIdentifiers() async throws {
        let harness = Harness()
        let record = try await harness.run(fields: [
            "event": "Contact", "timestamp": "2024-01-08T13:52:50Z", "lead_id": "74", "email_addresses": ["a@example.com"],
        ])
        let element = try #require(record.element)
        #expect(element["user"]?["lead_id"] == "74" && element["lead"] == nil)
        #expect(harness.builder.route(for: record.fields) == .init(eventSetID: "test-event-set-id"))
    }

    @Test(arguments: [
        (["event": "Lead", "event_source": "crm", "email_addresses": ["a@example.com"]] as JSONObject, "lead_id: a CRM event needs"),
        (["event": "Lead", "event_set_id": "set one", "email_addresses": ["a@example.com"]] as JSONObject, "event_set_id: not an event set id"),
    ] as [(JSONObject, String)])
    func refusesWhatTikTokCannotRoute(fields: JSONObject, reason: String) async throws {
        let record = try await Harness().run(fields: fields)
        guard case .rejected(let why) = record.outcome else { Issue.record("not rejected"); return }
        #expect(why.hasPrefix(reason), "\(why)")
    }
}
