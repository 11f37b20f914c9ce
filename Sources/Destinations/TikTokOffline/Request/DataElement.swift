import ConversionEngine
import JSONKit
import MappingKit
import TikTokEventsAPI

/// The layout of one Events API `data` element, with TikTok's rules (Segment's destination code
/// and the Events API reference) applied before anything is written. It reads the record's
/// prepared fields through ``ElementFields``: the fields themselves
/// (``TikTokRequestBuilder/writeDataElement(for:now:into:)``) or a fused plan's values.
enum DataElement {
    /// Appends the element to `out`, and tells which identifiers it carries.
    @discardableResult
    static func write(_ fields: inout some ElementFields, now: Int64, into out: inout [UInt8]) -> MatchKeys {
        // event_time: the timestamp in seconds; null when it is no date; now without one.
        let eventTime: Int64? =
            fields.isTruthy(.timestamp) ? fields.withString(.timestamp, JSDate.epochSeconds(utf8:)) ?? nil : now
        // ttclid: the field, or else the one in the page URL's query.
        let ttclidInURL = fields.isTruthy(.ttclid) ? nil : fields.withString(.url, ClickIDFromURL.ttclid(utf8:)) ?? nil
        // A CRM event names its lead in `lead`, not among the user's identifiers.
        let crm = fields.withString(.eventSource) { $0.elementsEqual(TikTokEventSource.crm.rawValue.utf8) } ?? false
        // value: sent when truthy, and when it is 0.
        let sendsValue = fields.isTruthy(.value) || fields.isIntegerZero(.value)

        // The layout, top to bottom: optional members only when truthy, lists as [] when absent.
        var keys = MatchKeys()
        JSONTextWriter.append(to: &out) { json in
            json.openObject()
            fields.write("event", .event, absent: "null", to: &json)
            if let eventTime { json.member("event_time", int: eventTime) } else { json.member("event_time", raw: "null") }
            writeIfTruthy("event_id", .eventID)
            json.openObject("user")
            if let ttclidInURL {
                json.member("ttclid", string: ttclidInURL)
                if !ttclidInURL.isEmpty { keys.insert(.ttclid) }
            } else if writeIfTruthy("ttclid", .ttclid) {
                keys.insert(.ttclid)
            }
            writeList("external_id", .externalIDs, .externalID)
            writeList("phone", .phoneNumbers, .phone)
            writeList("email", .emailAddresses, .email)
            if !crm { writeIfTruthy("lead_id", .leadID) }
            writeIfTruthy("ttp", .ttp)
            if writeIfTruthy("ip", .ip) { keys.insert(.ip) }
            if writeIfTruthy("user_agent", .userAgent) { keys.insert(.userAgent) }
            writeIfTruthy("locale", .locale)
            json.closeObject()
            json.openObject("properties")
            fields.write("contents", .contents, absent: "[]", to: &json)
            writeIfTruthy("content_type", .contentType)
            writeIfTruthy("currency", .currency)
            writeIfTruthy("query", .query)
            writeIfTruthy("description", .description)
            writeIfTruthy("order_id", .orderID)
            writeIfTruthy("shop_id", .shopID)
            if sendsValue { fields.write("value", .value, absent: nil, to: &json) }
            json.closeObject()
            json.openObject("page")
            writeIfTruthy("url", .url)
            writeIfTruthy("referrer", .referrer)
            json.closeObject()
            if crm {
                json.openObject("lead")
                writeIfTruthy("lead_id", .leadID)
                writeIfTruthy("lead_event_source", .leadEventSource)
                json.closeObject()
            }
            json.member("limited_data_use", raw: fields.isTruthy(.limitedDataUse) ? "true" : "false")
            json.closeObject()

            @discardableResult
            func writeIfTruthy(_ key: StaticString, _ slot: ElementSlot) -> Bool {
                guard fields.isTruthy(slot) else { return false }
                fields.write(key, slot, absent: nil, to: &json)
                return true
            }
            /// An identifier list; one with a value (more than `[]`) counts as a match key.
            func writeList(_ key: StaticString, _ slot: ElementSlot, _ matchKey: MatchKeys) {
                fields.write(key, slot, absent: "[]", to: &json)
                if json.lastValueLength > 2 { keys.insert(matchKey) }
            }
        }
        return keys
    }
}

/// What ``DataElement`` reads of a record's prepared fields, slot by slot.
protocol ElementFields {
    /// The slot has a value, and it is truthy.
    func isTruthy(_ slot: ElementSlot) -> Bool
    /// The slot holds the integer 0.
    func isIntegerZero(_ slot: ElementSlot) -> Bool
    /// `body` over the UTF-8 of the slot's value; nil when it has none or it is not a string.
    func withString<R>(_ slot: ElementSlot, _ body: (UnsafeRawBufferPointer) -> R) -> R?
    /// Writes the member `key` with the slot's value, or `absent` (raw JSON) when it has none
    /// (no member without `absent`).
    mutating func write(_ key: StaticString, _ slot: ElementSlot, absent: StaticString?, to json: inout JSONTextWriter)
}

/// The action fields a `data` element reads.
enum ElementSlot: Int, CaseIterable {
    case event, timestamp, eventID, ttclid, url, referrer, externalIDs, phoneNumbers, emailAddresses
    case leadID, ttp, ip, userAgent, locale, contents, contentType, currency, query, description
    case orderID, shopID, value, limitedDataUse, eventSource, leadEventSource

    /// The slot of the field `key`, if the element reads it. `hint` speeds up a run of keys in
    /// their usual order.
    static func slot(forKey key: String, hint: inout Int) -> ElementSlot? {
        keys.position(of: key, hint: &hint).map { order[$0] }
    }

    /// The field keys, in the order prepared fields usually come in.
    private static let table: [(String, ElementSlot)] = [
        ("event_id", .eventID), ("timestamp", .timestamp), ("phone_numbers", .phoneNumbers),
        ("email_addresses", .emailAddresses), ("order_id", .orderID), ("shop_id", .shopID),
        ("external_ids", .externalIDs), ("ttclid", .ttclid), ("ttp", .ttp), ("lead_id", .leadID),
        ("locale", .locale), ("url", .url), ("referrer", .referrer), ("ip", .ip), ("user_agent", .userAgent),
        ("content_type", .contentType), ("currency", .currency), ("value", .value), ("description", .description),
        ("query", .query), ("limited_data_use", .limitedDataUse),
        ("event", .event), ("contents", .contents), ("event_source", .eventSource), ("lead_event_source", .leadEventSource),
    ]
    private static let keys = KeyIndex(table.map(\.0))
    private static let order = table.map(\.1)
}
