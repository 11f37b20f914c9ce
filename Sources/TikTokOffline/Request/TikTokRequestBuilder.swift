import ConversionEngine
import MappingKit

/// Builds what TikTok's Events API receives: one `data` element per record, and the
/// request around any number of them (`POST /open_api/v1.3/event/track/`), as JSON text
/// written straight from the fields (the one writer of each; nothing is built as a value).
///
/// ```swift
/// let builder = TikTokRequestBuilder(settings: settings)
/// var element: [UInt8] = []
/// builder.writeDataElement(for: record.fields, now: now, into: &element)
/// var body: [UInt8] = []
/// builder.writeBody(serializedData: [element], route: builder.route(for: record.fields), into: &body)
/// let headers = builder.headers                   // Access-Token, Content-Type
/// ```
public struct TikTokRequestBuilder: Sendable {
    public static let url = "https://business-api.tiktok.com/open_api/v1.3/event/track/"
    public static let method = "POST"
    /// TikTok takes at most this many events per request.
    public static let maxEventsPerRequest = 1_000

    public let eventSetID: String
    public let partnerName: String?
    /// The settings' test code: a record whose fields set none is sent with this one.
    public let testEventCode: String?
    private let accessToken: String
    /// The envelope of bodies with the settings' test code (or none), written once.
    private let envelope: TikTokEnvelope

    public init(settings: TikTokSettings) {
        eventSetID = settings.eventSetID ?? ""
        partnerName = settings.partnerName
        testEventCode = settings.testEventCode.flatMap { $0.isEmpty ? nil : $0 }
        accessToken = settings.accessToken ?? ""
        envelope = TikTokEnvelope(eventSetID: eventSetID, partnerName: partnerName, testEventCode: testEventCode)
    }

    /// The request headers. They carry the access token: never log them.
    public var headers: [(name: String, value: String)] {
        [("Access-Token", accessToken), ("Content-Type", "application/json")]
    }

    /// The `test_event_code` a record's request carries: its own field when the mapping set
    /// one, else the settings' (nil: a live event). TikTok reads it at the top level of the
    /// body, so records with different codes never share a request.
    public func testEventCode(for fields: JSONObject) -> String? {
        if let field = fields["test_event_code"], field.isTruthy {
            return field.stringValue ?? field.serialized()
        }
        return testEventCode
    }

    /// What a request's envelope says: which event set, of which kind, with which test code.
    /// Records of different routes never share a request.
    public struct Route: Sendable, Hashable {
        public var eventSetID: String
        public var eventSource: TikTokEventSource
        public var testEventCode: String?

        public init(eventSetID: String, eventSource: TikTokEventSource = .offline, testEventCode: String? = nil) {
            self.eventSetID = eventSetID
            self.eventSource = eventSource
            self.testEventCode = testEventCode
        }
    }

    /// Where a record goes: its mapping's `destination:` block (the `event_set_id`,
    /// `event_source` and `test_event_code` fields) over the settings.
    public func route(for fields: JSONObject) -> Route {
        Route(
            eventSetID: fields["event_set_id"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? eventSetID,
            eventSource: fields["event_source"]?.stringValue.flatMap(TikTokEventSource.init(rawValue:)) ?? .offline,
            testEventCode: testEventCode(for: fields))
    }

    /// Appends the body around already serialized `data` elements (as
    /// ``writeDataElement(for:now:into:)`` writes them), all of one test code, to `out`.
    public func writeBody(serializedData data: some Sequence<[UInt8]>, testEventCode: String?, into out: inout [UInt8]) {
        writeBody(serializedData: data, route: Route(eventSetID: eventSetID, testEventCode: testEventCode), into: &out)
    }

    /// Appends the body around already serialized `data` elements of one route to `out`.
    public func writeBody(serializedData data: some Sequence<[UInt8]>, route: Route, into out: inout [UInt8]) {
        if route == Route(eventSetID: eventSetID, testEventCode: testEventCode) {
            envelope.write(elements: data, into: &out)
        } else {
            TikTokEnvelope(eventSetID: route.eventSetID, eventSource: route.eventSource, partnerName: partnerName,
                           testEventCode: route.testEventCode)
                .write(elements: data, into: &out)
        }
    }

    /// Appends one `data` element for an action's prepared (normalized, hashed) fields to
    /// `out`, written straight from the fields without building the element. `now` is the
    /// `event_time` used when the fields have no timestamp.
    public func writeDataElement(for fields: JSONObject, now: Int64, into out: inout [UInt8]) {
        fields.members.withUnsafeBufferPointer { members in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: Slot.allCases.count) { slots in
                slots.initialize(repeating: -1)
                var hint = 0
                for i in members.indices {
                    if let position = Self.slotKeys.position(of: members[i].key, hint: &hint) {
                        slots[Self.slotOrder[position].rawValue] = i
                    }
                }
                ElementWriter(members: members, slots: UnsafeBufferPointer(slots)).write(now: now, into: &out)
            }
        }
    }

    /// Writes one `data` element from the fields in place: values are read where they are
    /// (never copied out), through each slot's position among the fields (-1 when absent).
    private struct ElementWriter {
        let members: UnsafeBufferPointer<JSONObject.Member>
        let slots: UnsafeBufferPointer<Int>

        /// TikTok's rules (Segment's destination code and the Events API reference), applied
        /// before anything is written.
        func write(now: Int64, into out: inout [UInt8]) {
            // event_time: the timestamp in seconds; null when it is no date; now without one.
            let eventTime: Int64? = isTruthy(.timestamp) ? string(.timestamp).flatMap(JSDate.epochSeconds) : now
            // ttclid: the field, or else the one in the page URL's query.
            let ttclidInURL = isTruthy(.ttclid) ? nil : string(.url).flatMap(ClickIDFromURL.ttclid(in:))
            // A CRM event names its lead in `lead`, not among the user's identifiers.
            let crm = string(.eventSource) == TikTokEventSource.crm.rawValue
            // value: sent when truthy, and when it is 0.
            let sendsValue = position(.value).map { members[$0].value.isTruthy || members[$0].value == .int(0) } ?? false

            // The layout, top to bottom: optional members only when truthy, lists as [] when absent.
            JSONTextWriter.append(to: &out) { json in
                json.openObject()
                write("event", .event, absent: "null", to: &json)
                if let eventTime { json.member("event_time", int: eventTime) } else { json.member("event_time", raw: "null") }
                writeIfTruthy("event_id", .eventID, to: &json)
                json.openObject("user")
                if let ttclidInURL { json.member("ttclid", string: ttclidInURL) } else { writeIfTruthy("ttclid", .ttclid, to: &json) }
                write("external_id", .externalIDs, absent: "[]", to: &json)
                write("phone", .phoneNumbers, absent: "[]", to: &json)
                write("email", .emailAddresses, absent: "[]", to: &json)
                if !crm { writeIfTruthy("lead_id", .leadID, to: &json) }
                writeIfTruthy("ttp", .ttp, to: &json)
                writeIfTruthy("ip", .ip, to: &json)
                writeIfTruthy("user_agent", .userAgent, to: &json)
                writeIfTruthy("locale", .locale, to: &json)
                json.closeObject()
                json.openObject("properties")
                write("contents", .contents, absent: "[]", to: &json)
                writeIfTruthy("content_type", .contentType, to: &json)
                writeIfTruthy("currency", .currency, to: &json)
                writeIfTruthy("query", .query, to: &json)
                writeIfTruthy("description", .description, to: &json)
                writeIfTruthy("order_id", .orderID, to: &json)
                writeIfTruthy("shop_id", .shopID, to: &json)
                if sendsValue { write("value", .value, to: &json) }
                json.closeObject()
                json.openObject("page")
                writeIfTruthy("url", .url, to: &json)
                writeIfTruthy("referrer", .referrer, to: &json)
                json.closeObject()
                if crm {
                    json.openObject("lead")
                    writeIfTruthy("lead_id", .leadID, to: &json)
                    writeIfTruthy("lead_event_source", .leadEventSource, to: &json)
                    json.closeObject()
                }
                json.member("limited_data_use", raw: isTruthy(.limitedDataUse) ? "true" : "false")
                json.closeObject()
            }
        }

        func position(_ slot: Slot) -> Int? {
            let position = slots[slot.rawValue]
            return position >= 0 ? position : nil
        }

        /// The slot has a value, and it is truthy.
        func isTruthy(_ slot: Slot) -> Bool {
            guard let position = position(slot) else { return false }
            return members[position].value.isTruthy
        }

        func string(_ slot: Slot) -> String? {
            guard let position = position(slot), case .string(let text) = members[position].value else { return nil }
            return text
        }

        /// The member `key` with the slot's value, or `absent` when there is none (no member without `absent`).
        func write(_ key: StaticString, _ slot: Slot, absent: StaticString? = nil, to json: inout JSONTextWriter) {
            if let position = position(slot) {
                json.member(key, members[position].value)
            } else if let absent {
                json.member(key, raw: absent)
            }
        }

        func writeIfTruthy(_ key: StaticString, _ slot: Slot, to json: inout JSONTextWriter) {
            if isTruthy(slot) { write(key, slot, to: &json) }
        }
    }

    /// The action fields the request reads.
    private enum Slot: Int, CaseIterable {
        case event, timestamp, eventID, ttclid, url, referrer, externalIDs, phoneNumbers, emailAddresses
        case leadID, ttp, ip, userAgent, locale, contents, contentType, currency, query, description
        case orderID, shopID, value, limitedDataUse, eventSource, leadEventSource
    }

    /// The field keys the request reads, in the order prepared fields usually come in.
    private static let slotTable: [(String, Slot)] = [
        ("event_id", .eventID), ("timestamp", .timestamp), ("phone_numbers", .phoneNumbers),
        ("email_addresses", .emailAddresses), ("order_id", .orderID), ("shop_id", .shopID),
        ("external_ids", .externalIDs), ("ttclid", .ttclid), ("ttp", .ttp), ("lead_id", .leadID),
        ("locale", .locale), ("url", .url), ("referrer", .referrer), ("ip", .ip), ("user_agent", .userAgent),
        ("content_type", .contentType), ("currency", .currency), ("value", .value), ("description", .description),
        ("query", .query), ("limited_data_use", .limitedDataUse),
        ("event", .event), ("contents", .contents), ("event_source", .eventSource), ("lead_event_source", .leadEventSource),
    ]
    private static let slotKeys = KeyIndex(slotTable.map(\.0))
    private static let slotOrder = slotTable.map(\.1)
}
