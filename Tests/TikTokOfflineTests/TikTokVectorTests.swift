import ConversionEngine
import JSONKit
import MappingKit
import Testing

@testable import TikTokOffline
import TikTokEventsAPI

/// Every entry of `tiktok.json`. Where DIFFERENCES.md replaces Segment's behaviour, the test
/// names the vector and asserts our behaviour instead (see `replaced`).
@Suite struct TikTokVectorTests {
    /// Vectors whose reference result we deliberately do not reproduce, with the
    /// DIFFERENCES.md entries that explain it.
    static let replaced: [String: Set<Int>] = [
        "derived formatter: email lowercased before hashing, not trimmed": [1],
        "derived formatter: empty and whitespace-only become empty strings": [2],
        "derived formatter: phone cleaning: non-digits dropped, + prefixed, cut to 15 chars": [3],
        "derived formatter: external ids lowercased then hashed": [2],
        "snapshot: trackPaymentOfflineConversion action - all fields with email": [3, 11],
        "snapshot: trackPaymentOfflineConversion action - all fields with phone": [4, 11],
        "snapshot: trackNonPaymentOfflineConversion action - all fields with email": [3, 11],
        "snapshot: trackNonPaymentOfflineConversion action - all fields with phone": [4],
        "snapshot: reportOfflineEvent action - all fields with phone": [4, 11],
        "derived: optional extras: description, test_event_code, lead_id, query, order/shop ids": [11],
        "derived: empty string email inside array survives as \"\" and satisfies the PII check": [2, 5],
        "derived: null elements removed from PII arrays, \"\" elements kept": [2, 3],
        "derived: unparseable timestamp gives event_time null": [6],
        "derived: epoch-seconds string timestamp is not parseable": [6],
    ]

    @Test(arguments: Fixtures.vectors(kind: "formatter"))
    func formatter(_ vector: Vector) {
        let category = ["formatEmails": "email", "formatPhones": "phone", "formatUserIds": "external_id"][vector["function"]!.stringValue!]!
        let normalizer = IdentifierNormalizer(category: category, defaultCountryCode: nil)
        let inputs = vector["input"]!.arrayValue!.map { $0.stringValue! }
        let ours: [String] = inputs.compactMap {
            guard case .keep(let value, _) = normalizer.normalize($0) else { return nil }
            return SHA256Hex.looksHashed(value) ? value : SHA256Hex.hash(value)
        }
        let expected = vector["expected"]!.arrayValue!.map { $0.stringValue! }
        if let differences = Self.replaced[vector.name] {
            #expect(ours != expected, "replaced vector now matches Segment: \(vector.name)")
            var reasons = Set<Int>()
            for input in inputs {
                switch normalizer.normalize(input) {
                case .drop(let reason): reasons.insert(reason == "blank" ? 2 : category == "phone" ? 3 : 4)
                case .keep(let value, _):
                    if SHA256Hex.hash(value) != SegmentReference.format(input, category: category) && !SHA256Hex.looksHashed(value) {
                        reasons.insert(category == "email" ? 1 : 3)
                    }
                }
            }
            #expect(reasons == differences)
            // What we keep is exactly the reference's output minus what we drop or re-normalize.
            #expect(ours.allSatisfy { !$0.isEmpty })
        } else {
            #expect(ours == expected)
        }
    }

    @Test(arguments: Fixtures.vectors(kind: "action") + Fixtures.vectors(kind: "preset"))
    func action(_ vector: Vector) async throws {
        let harness = Harness(settings: TikTokSettings(
            accessToken: vector["settings"]?["accessToken"]?.stringValue,
            eventSetID: vector["settings"]?["eventSetID"]?.stringValue,
            partnerName: "Segment"))
        let mapping: Mapping
        if let presetMapping = vector["mapping"] {
            mapping = try Mapping(presetMapping)
        } else {
            mapping = try Harness.mapping(defaults: vector.flag("use_default_mappings"), overrides: vector["mapping_overrides"]!)
        }
        let action = vector["action"]?.stringValue ?? "reportOfflineEvent"
        let event = vector["event"]!

        // Steps 1–3: mapping, empty-value removal, schema coercion.
        let fields: JSONObject
        do {
            fields = try Harness.schema.prepare(try mapping.evaluate(event) ?? [:])
        } catch let violation as SchemaViolation {
            #expect(vector["error_type"]?.stringValue == "SchemaValidationError", "\(violation)")
            return
        }
        if vector["error_type"]?.stringValue == "SchemaValidationError" {
            Issue.record("expected a schema error (\(vector["error_gist"]!.stringValue!)), got \(JSON.object(fields))")
            return
        }
        if let payload = vector["expected_payload"] {
            #expect(JSON.object(fields) == payload)
        }

        // Step 4: normalize, hash, validate, build the request.
        let record = try await harness.run(fields: fields, action: action, event: event)
        let (expectedBody, reasons) = DifferenceExplainer(schema: Harness.schema)
            .expected(referenceBody: vector["expected_body"], fields: fields)
        #expect(reasons == Self.replaced[vector.name] ?? [], "differences that apply to \(vector.name)")
        if let expectedBody {
            #expect(harness.body(of: record) == expectedBody)
            #expect(record.outcome == .sent)
        } else {
            guard case .rejected(let reason) = record.outcome else {
                Issue.record("expected a rejection, got \(record.outcome)")
                return
            }
            #expect(reason.contains(reasons.contains(6) ? "timestamp" : "no valid identifier"))
        }
        if let request = vector["expected_request"] {
            #expect(request["url"]?.stringValue == TikTokRequestBuilder.url)
            #expect(request["method"]?.stringValue == TikTokRequestBuilder.method)
            let headers = Dictionary(uniqueKeysWithValues: harness.builder.headers.map { ($0.name, JSON.string($0.value)) })
            #expect(JSON.object(JSONObject(headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })) == request["headers"])
        }
    }
}

extension JSONObject {
    init(_ pairs: [(String, JSON)]) {
        self.init()
        for (k, v) in pairs { self[k] = v }
    }
}
