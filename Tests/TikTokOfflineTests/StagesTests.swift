import ConversionEngine
import JSONKit
import MappingKit
import Testing

@testable import TikTokOffline

/// The built-in stages one at a time, through the real pipeline.
@Suite struct StagesTests {
    let harness = Harness()

    @Test func purchaseIsSentAsCompletePayment() async throws {
        let record = try await harness.run(fields: ["event": "Purchase", "external_ids": ["u-1"]])
        #expect(record.outcome == .sent)
        #expect(record.element?["event"] == "CompletePayment")
        #expect(record.warnings.contains { $0.contains("Purchase") })
    }

    @Test(arguments: [
        (["event": "Contact"] as JSONObject, "no valid identifier"),
        (["event": "Contact", "email_addresses": ["", "  "], "phone_numbers": ["12"]], "no valid identifier"),
        (["event": "Contact", "external_ids": ["u"], "timestamp": "1704721970"], "timestamp"),
        (["event": "", "external_ids": ["u"]], "event name is required"),
    ] as [(JSONObject, String)])
    func rejections(fields: JSONObject, reason: String) async throws {
        let record = try await harness.run(fields: fields)
        guard case .rejected(let actual) = record.outcome else {
            Issue.record("expected a rejection, got \(record.outcome)")
            return
        }
        #expect(actual.contains(reason))
    }

    @Test func droppedIdentifiersLeaveAWarningWithoutTheValue() async throws {
        let record = try await harness.run(fields: [
            "event": "Contact", "external_ids": ["u"], "email_addresses": ["secret-no-at"], "phone_numbers": ["+1 555"],
        ])
        #expect(record.outcome == .sent)
        #expect(record.element?["user"]?["email"] == [])
        #expect(record.element?["user"]?["phone"] == [])
        #expect(record.warnings.count == 2)
        #expect(!record.warnings.joined().contains("secret"))
        #expect(!record.warnings.joined().contains("555"))
    }

    @Test func hashedValuesPassThroughAndOthersAreHashed() async throws {
        let hashed = String(repeating: "ab", count: 32)
        let record = try await harness.run(fields: ["event": "Contact", "external_ids": [.string(hashed), "User-1"]])
        #expect(record.element?["user"]?["external_id"] == [.string(hashed), .string(SHA256Hex.hash("user-1"))])
    }

    @Test func defaultCountryCodeCompletesNationalNumbers() async throws {
        let harness = Harness(settings: TikTokSettings(eventSetID: "s", defaultCountryCode: "1"))
        let record = try await harness.run(fields: ["event": "Contact", "phone_numbers": ["(415) 555-0199", "+44 20 7946 0958"]])
        #expect(record.element?["user"]?["phone"] == [.string(SHA256Hex.hash("+14155550199")), .string(SHA256Hex.hash("+442079460958"))])
    }

    @Test func missingTimestampUsesTheBatchTime() async throws {
        let record = try await harness.run(fields: ["event": "Contact", "external_ids": ["u"]])
        #expect(record.element?["event_time"] == .int(Int(Harness.now)))
    }
}
