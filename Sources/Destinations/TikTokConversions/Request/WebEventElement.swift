import ConversionEngine
import Foundation
import JSONKit
import TikTokEventsAPI

/// Writes one `data` element of a web (or CRM) event from `reportWebEvent`'s prepared fields,
/// member for member as Segment's TikTok Conversions destination builds it:
///
/// `event`, `event_time` (the timestamp's epoch seconds, or `now`), `event_id`, `user`
/// (identifier lists as the normalize and hash stages left them; first and last name and zip
/// code whitespace-free, lower-cased and SHA-256-hashed; city, state and country reduced to
/// lower-case letters and digits; `ttclid` from the page URL first), `properties` (contents with
/// their fixed keys, then the fields that are set; travel or vehicle fields when
/// `event_spec_type` chooses them for a web event), `page` (when it has a URL or referrer),
/// `lead` (CRM events with a lead id) and `limited_data_use`.
enum WebEventElement {
    static func write(_ fields: JSONObject, now: Int64, into out: inout [UInt8]) {
        let source = eventSource(of: fields)
        JSONTextWriter.append(to: &out) { json in
            json.openObject()
            json.member("event", fields["event"] ?? .string(""))
            if case .string(let timestamp)? = fields["timestamp"], !timestamp.isEmpty, let seconds = JSDate.epochSeconds(timestamp) {
                json.member("event_time", int: seconds)
            } else {
                json.member("event_time", int: now)
            }
            if let id = fields["event_id"], id.isTruthy { json.member("event_id", string: id.stringValue ?? id.serialized()) }
            writeUser(fields, into: &json)
            writeProperties(fields, source: source, into: &json)
            let url = truthyString(fields["url"]), referrer = truthyString(fields["referrer"])
            if url != nil || referrer != nil {
                json.openObject("page")
                if let url { json.member("url", string: url) }
                if let referrer { json.member("referrer", string: referrer) }
                json.closeObject()
            }
            if source == .crm, case .object(let lead)? = fields["lead_fields"], case .string(let leadID)? = lead["lead_id"] {
                json.openObject("lead")
                json.member("lead_id", string: leadID)
                if let leadSource = lead["lead_event_source"], leadSource.isTruthy { json.member("lead_event_source", leadSource) }
                json.closeObject()
            }
            if case .bool(let limited)? = fields["limited_data_use"] {
                json.member("limited_data_use", .bool(limited))
            } else {
                json.member("limited_data_use", .bool(false))
            }
            json.closeObject()
        }
    }

    /// `web` unless the fields say `crm` (the schema allows no other).
    static func eventSource(of fields: JSONObject) -> TikTokEventSource {
        fields["event_source"] == .string(TikTokEventSource.crm.rawValue) ? .crm : .web
    }

    private static func writeUser(_ fields: JSONObject, into json: inout JSONTextWriter) {
        json.openObject("user")
        json.member("external_id", list(fields["external_id"]))
        json.member("phone", list(fields["phone_number"]))
        json.member("email", list(fields["email"]))
        let address = fields["address"]?.objectValue ?? JSONObject()
        json.member("first_name", string: hashedName(fields["first_name"]))
        json.member("last_name", string: hashedName(fields["last_name"]))
        json.member("city", string: placeName(address["city"]))
        json.member("state", string: placeName(address["state"]))
        json.member("country", string: placeName(address["country"]))
        json.member("zip_code", string: hashedName(address["zip_code"]))
        let mapped = truthyString(fields["ttclid"])
        let fromURL = (fields["url"]?.stringValue).flatMap { $0.isEmpty ? nil : ClickIDFromURL.parameter(in: $0) }
        if mapped != nil || !(fromURL ?? "").isEmpty { json.member("ttclid", string: fromURL ?? mapped ?? "") }
        for (key, name) in browserKeys {
            if let value = fields[name], value.isTruthy { json.member(key, value) }
        }
        json.closeObject()
    }

    private static func writeProperties(_ fields: JSONObject, source: TikTokEventSource, into json: inout JSONTextWriter) {
        json.openObject("properties")
        json.openArray("contents")
        if case .array(let contents)? = fields["contents"] {
            for case .object(let item) in contents {
                json.openObjectElement()
                for (key, name) in contentKeys {
                    if let value = item[name], value != .null { json.key(encoded: key); json.value(value) }
                }
                json.closeObject()
            }
        }
        json.closeArray()
        for (key, name) in propertyKeys {
            if let value = fields[name] { json.key(encoded: key); json.value(value) }
        }
        if source == .web, case .string(let extra)? = fields["event_spec_type"] {
            if extra == "travel_fields", case .object(let travel)? = fields["travel_fields"] {
                for (key, name) in travelKeys {
                    if let value = travel[name] { json.key(encoded: key); json.value(value) }
                }
            } else if extra == "vehicle_fields", case .object(let vehicle)? = fields["vehicle_fields"] {
                for (key, name) in vehicleKeys {
                    if let value = vehicle[name] { json.key(encoded: key); json.value(value) }
                }
                if let unit = vehicle["mileage_unit"], let mileage = vehicle["mileage_value"], isNumber(mileage) {
                    json.openObject("mileage")
                    json.member("unit", unit)
                    json.member("value", mileage)
                    json.closeObject()
                }
                if let low = vehicle["preferred_price_range_min"], let high = vehicle["preferred_price_range_max"],
                   isNumber(low), isNumber(high) {
                    json.member("preferred_price_range", .array([low, high]))
                }
            }
        }
        json.closeObject()
    }

    /// JavaScript's `typeof value === 'number'`.
    private static func isNumber(_ value: JSON) -> Bool {
        switch value {
        case .int, .double: true
        default: false
        }
    }

    /// A list field as the stages left it (a scalar the schema did not wrap counts as one value).
    private static func list(_ value: JSON?) -> JSON {
        switch value {
        case .array?: value!
        case nil, .null?: .array([])
        case let scalar?: .array([scalar])
        }
    }

    private static func truthyString(_ value: JSON?) -> String? {
        guard let value, value.isTruthy else { return nil }
        return value.stringValue ?? value.serialized()
    }

    /// Segment's `formatString`: `""` for a missing value, else whitespace removed, lower-cased
    /// and SHA-256-hashed (a value that already is a SHA-256 passes through).
    static func hashedName(_ value: JSON?) -> String {
        guard let text = truthyString(value) else { return "" }
        let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.filter { !isJSWhitespace($0) })).lowercased()
        if cleaned.isEmpty { return "" }
        return SHA256Hex.looksHashed(cleaned) ? cleaned : SHA256Hex.hash(cleaned)
    }

    /// Segment's `formatAddress`: `""` for a missing value, else only ASCII letters and digits, lower-cased.
    static func placeName(_ value: JSON?) -> String {
        guard let text = truthyString(value) else { return "" }
        return String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) })).lowercased()
    }

    /// JavaScript's `\s`: the white space and line terminators of ECMAScript.
    private static func isJSWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF: true
        default: false
        }
    }

    private static func encoded(_ names: [String]) -> [([UInt8], String)] {
        names.map { (Array("\"\($0)\":".utf8), $0) }
    }

    /// The user's members sent only when set, in the reference's order (made once, not per event).
    private static let browserKeys: [(StaticString, String)] = [("ttp", "ttp"), ("ip", "ip"), ("user_agent", "user_agent"), ("locale", "locale")]
    private static let contentKeys = encoded(["price", "quantity", "content_category", "content_id", "content_name", "brand"])
    private static let propertyKeys = encoded([
        "content_type", "currency", "value", "query", "description", "order_id", "shop_id", "content_ids",
        "delivery_category", "num_items", "predicted_ltv", "search_string",
    ])
    private static let travelKeys = encoded([
        "city", "region", "country", "checkin_date", "checkout_date", "num_adults", "num_children", "num_infants",
        "suggested_hotels", "departing_departure_date", "returning_departure_date", "origin_airport", "destination_airport",
        "destination_ids", "departing_arrival_date", "returning_arrival_date", "travel_class", "user_score",
        "preferred_num_stops", "travel_start", "travel_end", "suggested_destinations",
    ])
    private static let vehicleKeys = encoded([
        "postal_code", "make", "model", "year", "state_of_vehicle", "exterior_color", "transmission", "body_style",
        "fuel_type", "drivetrain", "trim", "vin", "interior_color", "condition_of_vehicle", "viewcontent_type",
        "search_type", "registration_type",
    ])
}
