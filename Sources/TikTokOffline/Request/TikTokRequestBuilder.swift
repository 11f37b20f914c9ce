import ConversionEngine
import MappingKit

/// Builds what TikTok's Events API receives: one `data` element per record, and the
/// request around any number of them (`POST /open_api/v1.3/event/track/`).
///
/// ```swift
/// let builder = TikTokRequestBuilder(settings: settings)
/// let element = builder.dataElement(for: record.fields, now: now)
/// let body = builder.body(data: [element])        // {"event_source":"offline",...}
/// let headers = builder.headers                   // Access-Token, Content-Type
/// ```
public struct TikTokRequestBuilder: Sendable {
    public static let url = "https://business-api.tiktok.com/open_api/v1.3/event/track/"
    public static let method = "POST"
    /// TikTok takes at most this many events per request.
    public static let maxEventsPerRequest = 1_000

    public let eventSetID: String
    public let partnerName: String?
    public let testEventCode: String?
    private let accessToken: String
    /// The body's opening up to and including `"data":[`, serialized once.
    private let bodyPrefix: [UInt8]

    public init(settings: TikTokSettings) {
        eventSetID = settings.eventSetID ?? ""
        partnerName = settings.partnerName
        testEventCode = settings.testEventCode
        accessToken = settings.accessToken ?? ""
        var prefix: [UInt8] = []
        var head = JSONObject()
        head["event_source"] = "offline"
        head["event_source_id"] = .string(eventSetID)
        if let partnerName { head["partner_name"] = .string(partnerName) }
        JSON.object(head).serialize(into: &prefix)
        prefix.removeLast()
        prefix.append(contentsOf: #","data":["#.utf8)
        bodyPrefix = prefix
    }

    /// The request headers. They carry the access token: never log them.
    public var headers: [(name: String, value: String)] {
        [("Access-Token", accessToken), ("Content-Type", "application/json")]
    }

    /// The whole request body for `data` elements.
    public func body(data: [JSON]) -> JSON {
        var body = JSONObject(minimumCapacity: 4)
        body.appendUnchecked("event_source", "offline")
        body.appendUnchecked("event_source_id", .string(eventSetID))
        if let partnerName { body.appendUnchecked("partner_name", .string(partnerName)) }
        body.appendUnchecked("data", .array(data))
        return .object(body)
    }

    /// Appends the serialized body for `data` to `out`, without building the envelope.
    public func writeBody(data: some Sequence<JSON>, into out: inout [UInt8]) {
        out.append(contentsOf: bodyPrefix)
        var first = true
        for element in data {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            element.serialize(into: &out)
        }
        out.append(contentsOf: "]}".utf8)
    }

    /// Appends the body around already serialized `data` elements (as
    /// ``writeDataElement(for:now:into:)`` writes them) to `out`.
    public func writeBody(serializedData data: some Sequence<[UInt8]>, into out: inout [UInt8]) {
        out.append(contentsOf: bodyPrefix)
        var first = true
        for element in data {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: element)
        }
        out.append(contentsOf: "]}".utf8)
    }

    /// One `data` element from an action's prepared (normalized, hashed) fields. `now` is
    /// the `event_time` used when the fields have no timestamp.
    public func dataElement(for fields: JSONObject, now: Int64) -> JSON {
        var text: [UInt8] = []
        writeDataElement(for: fields, now: now, into: &text)
        return text.withUnsafeBytes { try! JSON.parse(bytes: $0) }
    }

    /// Appends the JSON text of ``dataElement(for:now:)`` to `out`, written straight from the
    /// fields without building the element.
    public func writeDataElement(for fields: JSONObject, now: Int64, into out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: JSON?.self, capacity: Slot.allCases.count) { slots in
            slots.initialize(repeating: nil)
            defer { slots.deinitialize() }
            var hint = 0
            for i in 0..<fields.count {
                if let position = Self.slotKeys.position(of: fields.keys[i], hint: &hint) {
                    slots[Self.slotOrder[position].rawValue] = fields.values[i]
                }
            }
            writeElement(from: slots, now: now, into: &out)
        }
    }

    private func writeElement(from slots: UnsafeMutableBufferPointer<JSON?>, now: Int64, into out: inout [UInt8]) {
        func truthy(_ slot: Slot) -> JSON? {
            guard let value = slots[slot.rawValue], value.isTruthy else { return nil }
            return value
        }
        func member(_ key: StaticString, _ value: JSON) {
            out.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
            value.serialize(into: &out)
        }

        member(#"{"event":"#, slots[Slot.event.rawValue] ?? .null)
        out.append(contentsOf: #","event_time":"#.utf8)
        if let timestamp = truthy(.timestamp) {
            if case .string(let text) = timestamp, let seconds = JSDate.epochSeconds(text) {
                out.append(contentsOf: String(seconds).utf8)
            } else {
                out.append(contentsOf: "null".utf8)
            }
        } else {
            out.append(contentsOf: String(now).utf8)
        }
        if let id = truthy(.eventID) { member(#","event_id":"#, id) }

        out.append(contentsOf: #","user":{"#.utf8)
        if let ttclid = truthy(.ttclid) {
            member(#""ttclid":"#, ttclid)
            out.append(UInt8(ascii: ","))
        } else if case .string(let url)? = slots[Slot.url.rawValue], let ttclid = ClickIDFromURL.ttclid(in: url) {
            member(#""ttclid":"#, .string(ttclid))
            out.append(UInt8(ascii: ","))
        }
        member(#""external_id":"#, slots[Slot.externalIDs.rawValue] ?? .array([]))
        member(#","phone":"#, slots[Slot.phoneNumbers.rawValue] ?? .array([]))
        member(#","email":"#, slots[Slot.emailAddresses.rawValue] ?? .array([]))
        for (key, slot) in Self.userMembers {
            if let value = truthy(slot) { member(key, value) }
        }

        member(#"},"properties":{"contents":"#, slots[Slot.contents.rawValue] ?? .array([]))
        for (key, slot) in Self.propertyMembers {
            if let value = truthy(slot) { member(key, value) }
        }
        if let value = slots[Slot.value.rawValue], value.isTruthy || value == .int(0) {
            member(#","value":"#, value)
        }

        out.append(contentsOf: #"},"page":{"#.utf8)
        if let url = truthy(.url) {
            member(#""url":"#, url)
            if let referrer = truthy(.referrer) { member(#","referrer":"#, referrer) }
        } else if let referrer = truthy(.referrer) {
            member(#""referrer":"#, referrer)
        }
        out.append(contentsOf: truthy(.limitedDataUse) != nil ? #"},"limited_data_use":true"#.utf8 : #"},"limited_data_use":false"#.utf8)
        if let code = truthy(.testEventCode) {
            member(#","test_event_code":"#, code)
        } else if let testEventCode, !testEventCode.isEmpty {
            member(#","test_event_code":"#, .string(testEventCode))
        }
        out.append(UInt8(ascii: "}"))
    }

    /// The action fields the request reads.
    private enum Slot: Int, CaseIterable {
        case event, timestamp, eventID, ttclid, url, referrer, externalIDs, phoneNumbers, emailAddresses
        case leadID, ttp, ip, userAgent, locale, contents, contentType, currency, query, description
        case orderID, shopID, value, limitedDataUse, testEventCode
    }

    /// The field keys the request reads, in the order prepared fields usually come in.
    private static let slotTable: [(String, Slot)] = [
        ("event_id", .eventID), ("timestamp", .timestamp), ("phone_numbers", .phoneNumbers),
        ("email_addresses", .emailAddresses), ("order_id", .orderID), ("shop_id", .shopID),
        ("external_ids", .externalIDs), ("ttclid", .ttclid), ("ttp", .ttp), ("lead_id", .leadID),
        ("locale", .locale), ("url", .url), ("referrer", .referrer), ("ip", .ip), ("user_agent", .userAgent),
        ("content_type", .contentType), ("currency", .currency), ("value", .value), ("description", .description),
        ("query", .query), ("limited_data_use", .limitedDataUse), ("test_event_code", .testEventCode),
        ("event", .event), ("contents", .contents),
    ]
    private static let slotKeys = KeyIndex(slotTable.map(\.0))
    private static let slotOrder = slotTable.map(\.1)

    /// The optional `user` and `properties` members, each written with the comma before it.
    private static let userMembers: [(StaticString, Slot)] = [
        (#","lead_id":"#, .leadID), (#","ttp":"#, .ttp), (#","ip":"#, .ip), (#","user_agent":"#, .userAgent),
        (#","locale":"#, .locale),
    ]
    private static let propertyMembers: [(StaticString, Slot)] = [
        (#","content_type":"#, .contentType), (#","currency":"#, .currency), (#","query":"#, .query),
        (#","description":"#, .description), (#","order_id":"#, .orderID), (#","shop_id":"#, .shopID),
    ]
}
