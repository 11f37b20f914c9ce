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
        var element = JSONObject(minimumCapacity: 8)
        element.appendUnchecked("event", fields["event"] ?? .null)
        let eventTime: JSON
        if let timestamp = fields["timestamp"], timestamp.isTruthy {
            if case .string(let text) = timestamp, let seconds = JSDate.epochSeconds(text) {
                eventTime = .int(Int(seconds))
            } else {
                eventTime = .null
            }
        } else {
            eventTime = .int(Int(now))
        }
        element.appendUnchecked("event_time", eventTime)
        if let id = fields["event_id"], id.isTruthy { element.appendUnchecked("event_id", id) }

        var user = JSONObject(minimumCapacity: 8)
        if let ttclid = fields["ttclid"], ttclid.isTruthy {
            user.appendUnchecked("ttclid", ttclid)
        } else if case .string(let url)? = fields["url"], let ttclid = ClickIDFromURL.ttclid(in: url) {
            user.appendUnchecked("ttclid", .string(ttclid))
        }
        user.appendUnchecked("external_id", fields["external_ids"] ?? .array([]))
        user.appendUnchecked("phone", fields["phone_numbers"] ?? .array([]))
        user.appendUnchecked("email", fields["email_addresses"] ?? .array([]))
        for (key, field) in Self.userMembers {
            if let value = fields[field], value.isTruthy { user.appendUnchecked(key, value) }
        }
        element.appendUnchecked("user", .object(user))

        var properties = JSONObject(minimumCapacity: 4)
        properties.appendUnchecked("contents", fields["contents"] ?? .array([]))
        for key in Self.propertyMembers {
            if let value = fields[key], value.isTruthy { properties.appendUnchecked(key, value) }
        }
        if let value = fields["value"], value.isTruthy || value == .int(0) {
            properties.appendUnchecked("value", value)
        }
        element.appendUnchecked("properties", .object(properties))

        var page = JSONObject(minimumCapacity: 2)
        for key in ["url", "referrer"] {
            if let value = fields[key], value.isTruthy { page.appendUnchecked(key, value) }
        }
        element.appendUnchecked("page", .object(page))
        element.appendUnchecked("limited_data_use", .bool(fields["limited_data_use"]?.isTruthy ?? false))
        if let code = fields["test_event_code"], code.isTruthy {
            element.appendUnchecked("test_event_code", code)
        } else if let testEventCode, !testEventCode.isEmpty {
            element.appendUnchecked("test_event_code", .string(testEventCode))
        }
        return .object(element)
    }

    private static let userMembers: [(String, String)] = [
        ("lead_id", "lead_id"), ("ttp", "ttp"), ("ip", "ip"), ("user_agent", "user_agent"), ("locale", "locale"),
    ]
    private static let propertyMembers = ["content_type", "currency", "query", "description", "order_id", "shop_id"]
}
