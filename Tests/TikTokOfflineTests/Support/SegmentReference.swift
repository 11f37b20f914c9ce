import ConversionEngine
import JSONKit
import MappingKit

@testable import TikTokOffline
import TikTokEventsAPI

/// Segment's identifier formatting (TIKTOK-DESTINATION.md §6), written from the spec, used to
/// recognise where our output differs from the reference only as DIFFERENCES.md allows.
enum SegmentReference {
    static func format(_ value: String, category: String) -> String {
        switch category {
        case "email": hashing(value.lowercased(), clean: nil)
        case "phone": hashing(value, clean: cleanPhone)
        default: hashing(value.lowercased(), clean: nil)
        }
    }

    private static func hashing(_ value: String, clean: ((String) -> String)?) -> String {
        if value.trimmingJSWhitespace().isEmpty { return "" }
        if SHA256Hex.looksHashed(value) { return value }
        return SHA256Hex.hash(clean?(value) ?? value)
    }

    private static func cleanPhone(_ value: String) -> String {
        String(("+" + value.filter { $0.isASCII && $0.isNumber }).prefix(15))
    }
}

/// Which numbered entries of DIFFERENCES.md turn a reference result into ours.
struct DifferenceExplainer {
    let normalizers: [(key: String, category: String, normalizer: IdentifierNormalizer)]

    init(schema: ActionSchema, defaultCountryCode: String? = nil) {
        normalizers = schema.fields.compactMap { spec in
            spec.pii.map { (spec.key, $0, IdentifierNormalizer(category: $0, defaultCountryCode: defaultCountryCode)) }
        }
    }

    /// What we should produce given the reference's `body` (or error) for `fields` (the
    /// prepared fields before normalizing): the adjusted body (`nil` when we must reject)
    /// and the differences that applied.
    func expected(referenceBody: JSON?, fields: JSONObject) -> (body: JSON?, reasons: Set<Int>) {
        var reasons = Set<Int>()
        var lists: [String: [JSON]] = [:]
        for (key, category, normalizer) in normalizers {
            guard case .array(let raw)? = fields[key] else { lists[key] = []; continue }
            var ours: [JSON] = []
            for case .string(let value) in raw {
                let reference = SegmentReference.format(value, category: category)
                switch normalizer.normalize(value) {
                case .keep(let normalized, _):
                    let hashed = SHA256Hex.looksHashed(normalized) ? normalized : SHA256Hex.hash(normalized)
                    if hashed != reference { reasons.insert(category == "email" ? 1 : 3) }
                    ours.append(.string(hashed))
                case .drop(let reason):
                    reasons.insert(reason == "blank" ? 2 : category == "phone" ? 3 : 4)
                }
            }
            lists[key] = ours
        }
        if lists.values.allSatisfy(\.isEmpty) {
            if referenceBody != nil || !reasons.isEmpty { reasons.insert(5) }
            return (nil, reasons)
        }
        if let timestamp = fields["timestamp"], timestamp.isTruthy, JSDate.parseMilliseconds(timestamp.stringValue ?? "") == nil {
            reasons.insert(6)
            return (nil, reasons)
        }
        guard case .object(var body)? = referenceBody, case .array(var data)? = body["data"],
            case .object(var element)? = data.first, case .object(var user)? = element["user"]
        else { return (referenceBody, reasons) }
        user["external_id"] = .array(lists["external_ids"] ?? [])
        user["phone"] = .array(lists["phone_numbers"] ?? [])
        user["email"] = .array(lists["email_addresses"] ?? [])
        element["user"] = .object(user)
        if element["event"] == "Purchase" {
            element["event"] = "CompletePayment"
            reasons.insert(7)
        }
        // 11: TikTok reads test_event_code at the top level, before `data`; Segment writes it
        // inside the element.
        if let code = element["test_event_code"] {
            reasons.insert(11)
            element["test_event_code"] = nil
            body["data"] = nil
            body["test_event_code"] = code
        }
        data[0] = .object(element)
        body["data"] = .array(data)
        return (.object(body), reasons)
    }
}
