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

        /// `key`, then the slot's value, or `absent` when there is none.
        func member(_ key: StaticString, _ slot: Slot, absent: StaticString? = nil, into out: inout [UInt8]) {
            append(key, to: &out)
            if let position = position(slot) {
                members[position].value.serialize(into: &out)
            } else if let absent {
                append(absent, to: &out)
            }
        }

        func append(_ text: StaticString, to out: inout [UInt8]) {
            out.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }

        func write(now: Int64, into out: inout [UInt8]) {
            member(#"{"event":"#, .event, absent: "null", into: &out)
            out.append(contentsOf: #","event_time":"#.utf8)
            if isTruthy(.timestamp) {
                if let text = string(.timestamp), let seconds = JSDate.epochSeconds(text) {
                    out.append(contentsOf: String(seconds).utf8)
                } else {
                    out.append(contentsOf: "null".utf8)
                }
            } else {
                out.append(contentsOf: String(now).utf8)
            }
            if isTruthy(.eventID) { member(#","event_id":"#, .eventID, into: &out) }

            out.append(contentsOf: #","user":{"#.utf8)
            if isTruthy(.ttclid) {
                member(#""ttclid":"#, .ttclid, into: &out)
                out.append(UInt8(ascii: ","))
            } else if let url = string(.url), let ttclid = ClickIDFromURL.ttclid(in: url) {
                append(#""ttclid":"#, to: &out)
                JSON.serializeString(ttclid, into: &out)
                out.append(UInt8(ascii: ","))
            }
            member(#""external_id":"#, .externalIDs, absent: "[]", into: &out)
            member(#","phone":"#, .phoneNumbers, absent: "[]", into: &out)
            member(#","email":"#, .emailAddresses, absent: "[]", into: &out)
            // A CRM event names its lead in `lead`, not among the user's identifiers.
            let crm = string(.eventSource) == TikTokEventSource.crm.rawValue
            for (key, slot) in TikTokRequestBuilder.userMembers where isTruthy(slot) && !(crm && slot == .leadID) {
                member(key, slot, into: &out)
            }

            member(#"},"properties":{"contents":"#, .contents, absent: "[]", into: &out)
            for (key, slot) in TikTokRequestBuilder.propertyMembers where isTruthy(slot) {
                member(key, slot, into: &out)
            }
            if let position = position(.value), members[position].value.isTruthy || members[position].value == .int(0) {
                member(#","value":"#, .value, into: &out)
            }

            out.append(contentsOf: #"},"page":{"#.utf8)
            if isTruthy(.url) {
                member(#""url":"#, .url, into: &out)
                if isTruthy(.referrer) { member(#","referrer":"#, .referrer, into: &out) }
            } else if isTruthy(.referrer) {
                member(#""referrer":"#, .referrer, into: &out)
            }
            out.append(UInt8(ascii: "}"))
            if crm {
                // TikTok's CRM events: `lead` with the TikTok lead ID and the CRM it comes from.
                append(#","lead":{"#, to: &out)
                var first = true
                for (key, slot) in [(#""lead_id":"# as StaticString, Slot.leadID), (#""lead_event_source":"#, .leadEventSource)] where isTruthy(slot) {
                    if !first { out.append(UInt8(ascii: ",")) }
                    first = false
                    member(key, slot, into: &out)
                }
                out.append(UInt8(ascii: "}"))
            }
            out.append(contentsOf: isTruthy(.limitedDataUse) ? #","limited_data_use":true"#.utf8 : #","limited_data_use":false"#.utf8)
            out.append(UInt8(ascii: "}"))
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
