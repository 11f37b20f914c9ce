import ConversionEngine
import Foundation
import JSONKit
import MappingKit
import Testing
import TikTokEventsAPI

@testable import TikTokConversions

/// What the corpus does not exercise, checked against hand-made events: the cases of Segment's
/// own tests of its destination (names, addresses, vehicle and travel fields, CRM leads, test
/// codes, click ids) and each improvement this destination makes on it.
@Suite struct WebEventTests {
    static let settings = TikTokConversionsSettings(accessToken: "test-token", pixelCode: "test")
    static let now: Int64 = 1_704_721_970

    /// The outcome of one event through a mapping (over the action's defaults) of the destination.
    struct Outcome {
        var body: JSON?
        var rejection: String?
        var warnings: [String] = []
        var queue: String?

        var element: JSON? { body?["data"]?.arrayValue?.first }
        var user: JSON? { element?["user"] }
        var properties: JSON? { element?["properties"] }
    }

    static func send(_ event: String, mapping: String, settings: TikTokConversionsSettings = settings) async throws -> Outcome {
        let file = """
            name: Test
            trigger: 'type = "track"'
            action: reportWebEvent
            defaults: true
            mapping:
            \(mapping.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
            """
        let destination = TikTokConversionsDestination(settings: settings)
        let engine = try destination.engine(mappings: .embedded([("test.yaml", file)]), sink: DryRunSink())
        var batch = Batch()
        try engine.route(try JSON.parse(event), line: 1, into: &batch)
        try await engine.process(&batch, now: now)
        let record = try #require(batch.records.first)
        switch record.outcome {
        case .sent:
            var body: [UInt8] = []
            destination.writePreview(of: record, into: &body)
            let queue = WebEventAddressing(settings: settings).queue(for: record.fields)
            return Outcome(body: try JSON.parse(bytes: body), warnings: record.warnings, queue: queue)
        case .rejected(let reason):
            return Outcome(rejection: reason, warnings: record.warnings)
        default:
            Issue.record("unexpected outcome \(record.outcome)")
            return Outcome()
        }
    }

    static func hash(_ text: String) -> String { SHA256Hex.hash(text) }

    /// Segment's "auto parameters" case: vehicle fields chosen for a web event.
    @Test func vehicleFieldsAreSentWhenChosen() async throws {
        let event = """
            {"type":"track","event":"Checkout Started","messageId":"corey123","timestamp":"2024-01-08T13:52:50.212Z","userId":"testId123",
             "properties":{"email":"coreytest1231@gmail.com","phone":"+1555-555-5555","ttclid":"12345","postal_code":"test_postal_code",
             "make":"test_make","model":"test_model","year":2020,"state_of_vehicle":"New","mileage_value":12345,"mileage_unit":"MI",
             "exterior_color":"test_exterior_color","transmission":"Automatic","body_style":"Coupe","fuel_type":"Diesel","drivetrain":"AWD",
             "preferred_price_range_min":1000,"preferred_price_range_max":2000,"trim":"test_trim","vin":"test_vin",
             "interior_color":"test_interior_color","condition_of_vehicle":"Good"},
             "context":{"page":{"url":"https://segment.com/","referrer":"https://google.com/"},"userAgent":"Mozilla/5.0","ip":"0.0.0.0"}}
            """
        let outcome = try await Self.send(event, mapping: "event: InitiateCheckout\nevent_source: web\nevent_spec_type: vehicle_fields")
        let expected = try JSON.parse("""
            {"event_source":"web","event_source_id":"test","partner_name":"Segment","data":[{"event":"InitiateCheckout",
             "event_time":1704721970,"event_id":"corey123","user":{
              "external_id":["481f202262e9c5ccc48d24e60798fadaa5f6ff1f8369f7ab927c04c3aa682a7f"],
              "phone":["910a625c4ba147b544e6bd2f267e130ae14c591b6ba9c25cb8573322dedbebd0"],
              "email":["eb9869a32b532840dd6aa714f7a872d21d6f650fc5aa933d9feefc64708969c7"],
              "first_name":"","last_name":"","city":"","state":"","country":"","zip_code":"","ttclid":"12345","ip":"0.0.0.0",
              "user_agent":"Mozilla/5.0"},
             "properties":{"contents":[],"content_type":"product","postal_code":"test_postal_code","make":"test_make",
              "model":"test_model","year":2020,"state_of_vehicle":"New","exterior_color":"test_exterior_color","transmission":"Automatic",
              "body_style":"Coupe","fuel_type":"Diesel","trim":"test_trim","vin":"test_vin","interior_color":"test_interior_color",
              "condition_of_vehicle":"Good","mileage":{"unit":"MI","value":12345},"preferred_price_range":[1000,2000]},
             "page":{"url":"https://segment.com/","referrer":"https://google.com/"},"limited_data_use":false}]}
            """)
        #expect(outcome.body == expected, "\(outcome.body?.serialized() ?? outcome.rejection ?? "-")")
        #expect(outcome.queue == "tiktok-web:test|Segment#web")
    }

    /// Travel fields are mapped and validated for every event, sent only when chosen.
    @Test(arguments: [("travel_fields", true), ("", false)])
    func travelFieldsAreSentOnlyWhenChosen(choice: String, sent: Bool) async throws {
        let event = """
            {"type":"track","event":"Hotel Booked","messageId":"m-1","timestamp":"2024-01-08T13:52:50Z","userId":"u-1",
             "properties":{"city":"test_city","num_adults":2,"suggested_hotels":"h-1","travel_class":"eco"}}
            """
        let outcome = try await Self.send(event, mapping: "event: CompletePayment" + (choice.isEmpty ? "" : "\nevent_spec_type: \(choice)"))
        #expect(outcome.properties?["city"] == (sent ? "test_city" : nil))
        #expect(outcome.properties?["num_adults"] == (sent ? .int(2) : nil))
        #expect(outcome.properties?["suggested_hotels"] == (sent ? .array(["h-1"]) : nil))
        let bad = event.replacingOccurrences(of: #""num_adults":2"#, with: #""num_adults":"two""#)
        #expect(try await Self.send(bad, mapping: "event: CompletePayment").rejection != nil, "a bad travel field fails the event, as in Segment")
    }

    /// Names and zip codes are hashed without whitespace; city, state and country keep only
    /// letters and digits, lower-cased, unhashed.
    @Test func namesAndAddressesAreFormattedAsSegmentDoes() async throws {
        let event = """
            {"type":"track","event":"X","messageId":"m-2","timestamp":"2024-01-08T13:52:50Z","userId":"u-2",
             "context":{"traits":{"first_name":" Jane Mary ","last_name":"O Brien","address":{"city":"San Francisco!","state":"C.A.",
              "country":"U S","postal_code":"94 107"}}}}
            """
        let user = try #require(try await Self.send(event, mapping: "event: SubmitForm").user)
        #expect(user["first_name"] == .string(Self.hash("janemary")))
        #expect(user["last_name"] == .string(Self.hash("obrien")))
        #expect(user["city"] == "sanfrancisco")
        #expect(user["state"] == "ca")
        #expect(user["country"] == "us")
        #expect(user["zip_code"] == .string(Self.hash("94107")))
    }

    /// A click id in the page URL wins over the mapped one; an empty one in the URL is sent as
    /// `""` beside a mapped one (Segment's behaviour); neither: no ttclid.
    @Test(arguments: [
        ("https://shop.example.com/?ttclid=from-url", "mapped", "from-url"),
        ("https://shop.example.com/?ttclid=", "mapped", ""),
        ("https://shop.example.com/?ttclid=from-url", nil, "from-url"),
        ("https://shop.example.com/", "mapped", "mapped"),
        ("https://shop.example.com/", nil, nil),
    ] as [(String, String?, String?)])
    func theClickIDOfThePageURLWins(url: String, mapped: String?, expected: String?) async throws {
        let ttclid = mapped.map { #","ttclid":"\#($0)""# } ?? ""
        let event = """
            {"type":"track","event":"X","messageId":"m-3","timestamp":"2024-01-08T13:52:50Z","userId":"u-3",
             "properties":{"email":"a@example.com"\(ttclid)},"context":{"page":{"url":"\(url)"}}}
            """
        let user = try #require(try await Self.send(event, mapping: "event: ViewContent").user)
        #expect(user["ttclid"] == expected.map(JSON.string))
    }

    /// A CRM event carries its lead, goes to the pixel's CRM queue, and is refused without one.
    @Test func crmEventsCarryTheirLead() async throws {
        let event = """
            {"type":"track","event":"Lead Qualified","messageId":"m-4","timestamp":"2024-01-08T13:52:50Z","userId":"u-4",
             "properties":{"lead_id":"lead-1","lead_event_source":"HubSpot"}}
            """
        let outcome = try await Self.send(event, mapping: "event: Lead\nevent_source: crm")
        #expect(outcome.body?["event_source"] == "crm")
        #expect(outcome.element?["lead"] == .object(["lead_id": "lead-1", "lead_event_source": "HubSpot"]))
        #expect(outcome.element?["page"] == nil, "no page without a URL or referrer")
        #expect(outcome.queue == "tiktok-web:test|Segment#crm")
        let without = try await Self.send(event.replacingOccurrences(of: #""lead_id":"lead-1","lead_event_source":"HubSpot""#, with: #""x":1"#),
                                          mapping: "event: Lead\nevent_source: crm")
        #expect(without.rejection?.hasPrefix("lead_fields:") == true, "\(without.rejection ?? "sent")")
    }

    /// `test_event_code` goes at the top level, from the mapping's destination block or the settings.
    @Test func testEventCodesAreSentAtTheTopLevel() async throws {
        let event = #"{"type":"track","event":"X","messageId":"m-5","timestamp":"2024-01-08T13:52:50Z","userId":"u-5"}"#
        let settings = TikTokConversionsSettings(accessToken: "t", pixelCode: "test", testEventCode: "TEST123")
        let outcome = try await Self.send(event, mapping: "event: Contact", settings: settings)
        #expect(outcome.body?["test_event_code"] == "TEST123")
        #expect(outcome.element?["test_event_code"] == nil)
        #expect(outcome.queue == "tiktok-web:test|Segment#web#test:TEST123")
    }

    /// The improvements on Segment listed in docs/differences-from-segment.md for this destination.
    @Test func emailsAreTrimmedAndBadIdentifiersDropped() async throws {
        let event = """
            {"type":"track","event":"X","messageId":"m-6","timestamp":"2024-01-08T13:52:50Z","userId":"u-6",
             "properties":{"email":[" Buyer@Example.com ","   ","not-an-email"],"phone":["12","+1 415 555 0123"]}}
            """
        let outcome = try await Self.send(event, mapping: "event: Contact")
        #expect(outcome.user?["email"] == .array([.string(Self.hash("buyer@example.com"))]))
        #expect(outcome.user?["phone"] == .array([.string(Self.hash("+14155550123"))]))
        #expect(outcome.warnings.contains { $0.hasPrefix("email: dropped") }, "\(outcome.warnings)")
        #expect(outcome.warnings.contains { $0.hasPrefix("phone_number: dropped") }, "\(outcome.warnings)")
        #expect(!outcome.warnings.joined().contains("not-an-email"), "warnings never hold the value")
    }

    @Test(arguments: [
        (#""timestamp":"next tuesday","userId":"u""#, "timestamp:"),
        (#""timestamp":"2024-01-08T13:52:50Z""#, "no identifier"),
    ])
    func unusableEventsAreRefusedWithAReason(members: String, reason: String) async throws {
        let event = #"{"type":"track","event":"X","messageId":"m-7",\#(members)}"#
        let outcome = try await Self.send(event, mapping: "event: Contact")
        #expect(outcome.rejection?.hasPrefix(reason) == true, "\(outcome.rejection ?? "sent")")
    }

    @Test func aPurchaseIsSentAsCompletePayment() async throws {
        let event = #"{"type":"track","event":"X","messageId":"m-8","timestamp":"2024-01-08T13:52:50Z","userId":"u-8"}"#
        let outcome = try await Self.send(event, mapping: "event: Purchase")
        #expect(outcome.element?["event"] == "CompletePayment")
        #expect(outcome.warnings.contains { $0.contains("Purchase") })
    }

    /// A web event with nothing but its browser (IP address and user agent) can still be matched.
    @Test func aBrowserAloneIsEnoughToMatch() async throws {
        let event = #"{"type":"track","event":"X","messageId":"m-9","timestamp":"2024-01-08T13:52:50Z","context":{"ip":"203.0.113.9"}}"#
        let outcome = try await Self.send(event, mapping: "event: PageView")
        #expect(outcome.user?["ip"] == "203.0.113.9", "\(outcome.rejection ?? "")")
        #expect(outcome.user?["external_id"] == .array([]))
    }
}
