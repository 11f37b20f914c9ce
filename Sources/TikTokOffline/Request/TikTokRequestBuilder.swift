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

    /// One `data` element from an action's prepared (normalized, hashed) fields. `now` is
    /// the `event_time` used when the fields have no timestamp.
    public func dataElement(for fields: JSONObject, now: Int64) -> JSON {
        withUnsafeTemporaryAllocation(of: JSON?.self, capacity: Slot.allCases.count) { slots in
            slots.initialize(repeating: nil)
            defer { slots.deinitialize() }
            var hint = 0
            for i in 0..<fields.count {
                if let position = Self.slotKeys.position(of: fields.keys[i], hint: &hint) {
                    slots[Self.slotOrder[position].rawValue] = fields.values[i]
                }
            }
            return element(from: slots, now: now)
        }
    }

    private func element(from slots: UnsafeMutableBufferPointer<JSON?>, now: Int64) -> JSON {
        func truthy(_ slot: Slot) -> JSON? {
            guard let value = slots[slot.rawValue], value.isTruthy else { return nil }
            return value
        }

        var element = JSONObject(minimumCapacity: 8)
        element.appendUnchecked("event", slots[Slot.event.rawValue] ?? .null)
        let eventTime: JSON
        if let timestamp = truthy(.timestamp) {
            if case .string(let text) = timestamp, let seconds = JSDate.epochSeconds(text) {
                eventTime = .int(Int(seconds))
            } else {
                eventTime = .null
            }
        } else {
            eventTime = .int(Int(now))
        }
        element.appendUnchecked("event_time", eventTime)
        if let id = truthy(.eventID) { element.appendUnchecked("event_id", id) }

        var user = JSONObject(minimumCapacity: 9)
        if let ttclid = truthy(.ttclid) {
            user.appendUnchecked("ttclid", ttclid)
        } else if case .string(let url)? = slots[Slot.url.rawValue], let ttclid = ClickIDFromURL.ttclid(in: url) {
            user.appendUnchecked("ttclid", .string(ttclid))
        }
        user.appendUnchecked("external_id", slots[Slot.externalIDs.rawValue] ?? .array([]))
        user.appendUnchecked("phone", slots[Slot.phoneNumbers.rawValue] ?? .array([]))
        user.appendUnchecked("email", slots[Slot.emailAddresses.rawValue] ?? .array([]))
        for (key, slot) in Self.userMembers {
            if let value = truthy(slot) { user.appendUnchecked(key, value) }
        }
        element.appendUnchecked("user", .object(user))

        var properties = JSONObject(minimumCapacity: 8)
        properties.appendUnchecked("contents", slots[Slot.contents.rawValue] ?? .array([]))
        for (key, slot) in Self.propertyMembers {
            if let value = truthy(slot) { properties.appendUnchecked(key, value) }
        }
        if let value = slots[Slot.value.rawValue], value.isTruthy || value == .int(0) {
            properties.appendUnchecked("value", value)
        }
        element.appendUnchecked("properties", .object(properties))

        var page = JSONObject(minimumCapacity: 2)
        if let url = truthy(.url) { page.appendUnchecked("url", url) }
        if let referrer = truthy(.referrer) { page.appendUnchecked("referrer", referrer) }
        element.appendUnchecked("page", .object(page))
        element.appendUnchecked("limited_data_use", .bool(truthy(.limitedDataUse) != nil))
        if let code = truthy(.testEventCode) {
            element.appendUnchecked("test_event_code", code)
        } else if let testEventCode, !testEventCode.isEmpty {
            element.appendUnchecked("test_event_code", .string(testEventCode))
        }
        return .object(element)
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

    private static let userMembers: [(String, Slot)] = [
        ("lead_id", .leadID), ("ttp", .ttp), ("ip", .ip), ("user_agent", .userAgent), ("locale", .locale),
    ]
    private static let propertyMembers: [(String, Slot)] = [
        ("content_type", .contentType), ("currency", .currency), ("query", .query), ("description", .description),
        ("order_id", .orderID), ("shop_id", .shopID),
    ]
}
