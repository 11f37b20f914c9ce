import ConversionEngine
import JSONKit
import MappingKit
import TikTokEventsAPI

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
    /// `event_time` used when the fields have no timestamp. Tells which identifiers it carries.
    @discardableResult
    public func writeDataElement(for fields: JSONObject, now: Int64, into out: inout [UInt8]) -> MatchKeys {
        fields.members.withUnsafeBufferPointer { members in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: ElementSlot.allCases.count) { slots in
                slots.initialize(repeating: -1)
                var hint = 0
                for i in members.indices {
                    if let slot = ElementSlot.slot(forKey: members[i].key, hint: &hint) { slots[slot.rawValue] = i }
                }
                var fields = FieldsInPlace(members: members, slots: UnsafeBufferPointer(slots))
                return DataElement.write(&fields, now: now, into: &out)
            }
        }
    }

    /// Prepared fields read where they are (never copied out), through each slot's position
    /// among them (-1 when absent).
    private struct FieldsInPlace: ElementFields {
        let members: UnsafeBufferPointer<JSONObject.Member>
        let slots: UnsafeBufferPointer<Int>

        func value(_ slot: ElementSlot) -> JSON? {
            let position = slots[slot.rawValue]
            // Not a ternary: its `nil` would be JSON's own nil literal, `null`.
            guard position >= 0 else { return Optional<JSON>.none }
            return members[position].value
        }

        func isTruthy(_ slot: ElementSlot) -> Bool { value(slot)?.isTruthy ?? false }

        func isIntegerZero(_ slot: ElementSlot) -> Bool { value(slot) == .int(0) }

        func withString<R>(_ slot: ElementSlot, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
            guard case .string(var text)? = value(slot) else { return nil }
            return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
        }

        func write(_ key: StaticString, _ slot: ElementSlot, absent: StaticString?, to json: inout JSONTextWriter) {
            if let value = value(slot) {
                json.member(key, value)
            } else if let absent {
                json.member(key, raw: absent)
            }
        }
    }
}
