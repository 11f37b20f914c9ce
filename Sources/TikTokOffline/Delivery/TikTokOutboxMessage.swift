import Delivery
import ConversionEngine
import Foundation
import MappingKit

extension OutboxMessage {
    /// The outbox message for one serialized Events API `data` element (already normalized and
    /// hashed) whose `event_id` is `eventID`.
    ///
    /// Its key is (event, event_id), which is how TikTok deduplicates, so re-enqueuing the same
    /// event after a restart is a no-op and re-sending it is harmless.
    init(tiktokElement element: [UInt8], event: String, eventID: String) {
        self.init(key: TikTokEventKey.make(event: event, eventID: eventID), payload: element)
    }

    /// The outbox message for a record whose `send` stage wrote its `data` element
    /// (``Record/output``); nil when it has none, or no `event_id` (a send stage whose sink
    /// ``EventSink/needsEventIDs`` gives every record one).
    public init?(tiktokRecord record: borrowing Record) {
        self.init(tiktokElement: record.output, fields: record.fields)
    }

    /// The outbox message for a record's ``Record/output`` and ``Record/fields``, given apart.
    init?(tiktokElement element: [UInt8]?, fields: JSONObject) {
        guard let element, let eventID = Self.eventID(fields["event_id"]) else { return nil }
        self.init(tiktokElement: element, event: fields["event"]?.stringValue ?? "", eventID: eventID)
    }

    /// The outbox message for one `data` element given as JSON (it is serialized here). An
    /// element without an `event_id` is given a random one, so its retries still deduplicate
    /// at TikTok.
    public init(tiktokEvent element: JSON) {
        var element = element
        let eventID = Self.eventID(element["event_id"]) ?? UUID().uuidString.lowercased()
        if case .object(let members) = element, Self.eventID(members["event_id"]) == nil {
            // Where the request builder writes it: before `user` (or last, without one).
            var withID = JSONObject(minimumCapacity: members.count + 1)
            for member in members.members where member.key != "event_id" {
                if member.key == "user" { withID.appendUnchecked("event_id", .string(eventID)) }
                withID.appendUnchecked(member.key, member.value)
            }
            if withID["event_id"] == nil { withID.appendUnchecked("event_id", .string(eventID)) }
            element = .object(withID)
        }
        var payload: [UInt8] = []
        element.serialize(into: &payload)
        self.init(tiktokElement: payload, event: element["event"]?.stringValue ?? "", eventID: eventID)
    }

    /// The `event_id` a key is made of, as the element carries it (a non-string id as its JSON
    /// text); nil when it is missing or falsy.
    private static func eventID(_ value: JSON?) -> String? {
        value.flatMap { $0.isTruthy ? ($0.stringValue ?? $0.serialized()) : nil }
    }
}

/// The outbox key of a TikTok event, `<event>/<event_id>`: the pair TikTok deduplicates on.
///
/// TikTok event names hold no `/`, so the first one separates the two parts.
public enum TikTokEventKey {
    static let separator: Character = "/"

    public static func make(event: String, eventID: String) -> String { event + String(separator) + eventID }

    /// The (event, event_id) pair of a key written by ``make(event:eventID:)``.
    public static func parse(_ key: String) -> (event: String, eventID: String) {
        let parts = key.split(separator: separator, maxSplits: 1, omittingEmptySubsequences: false)
        return (String(parts.first ?? ""), parts.count > 1 ? String(parts[1]) : "")
    }
}

extension DeadLetter {
    /// The TikTok event name and `event_id` this dead letter carries.
    public var tiktokEvent: (event: String, eventID: String) { TikTokEventKey.parse(key) }
}
