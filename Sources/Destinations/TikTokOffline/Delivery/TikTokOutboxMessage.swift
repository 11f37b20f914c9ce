import ConversionEngine
import Delivery
import Foundation
import JSONKit
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
        guard let element, let key = TikTokEventKey.make(fields: fields) else { return nil }
        self.init(key: key, payload: element)
    }

    /// The outbox message for one `data` element given as JSON (it is serialized here). An
    /// element without an `event_id` is given a random one, so its retries still deduplicate
    /// at TikTok.
    public init(tiktokEvent element: JSON) {
        var element = element
        let eventID = TikTokEventKey.eventID(element["event_id"]) ?? UUID().uuidString.lowercased()
        if case .object(let members) = element, TikTokEventKey.eventID(members["event_id"]) == nil {
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
}

/// The outbox key of a TikTok event, `<event>/<event_id>`: the pair TikTok deduplicates on.
///
/// The event name is written with `%` as `%25` and `/` as `%2F`, so the first `/` always ends
/// it: ("A", "B/C") and ("A/B", "C") have different keys (`A/B/C` and `A%2FB/C`). For a name
/// with neither character — every TikTok standard event, every shipped preset — the key is the
/// same as before this escaping existed, so outboxes written earlier read as they did; an older
/// key whose name held a `/` still parses (at its first `/`) and its payload is sent as stored.
public enum TikTokEventKey {
    static let separator: Character = "/"

    /// The key of a record whose prepared ``Record/fields`` carry `event` and `event_id`; nil
    /// without an `event_id` (a send stage whose sink ``EventSink/needsEventIDs`` gives every
    /// record one).
    public static func make(fields: JSONObject) -> String? {
        guard let eventID = eventID(fields["event_id"]) else { return nil }
        return make(event: fields["event"]?.stringValue ?? "", eventID: eventID)
    }

    /// The `event_id` a key is made of, as the element carries it (a non-string id as its JSON
    /// text); nil when it is missing or falsy.
    static func eventID(_ value: JSON?) -> String? {
        value.flatMap { $0.isTruthy ? ($0.stringValue ?? $0.serialized()) : nil }
    }

    public static func make(event: String, eventID: String) -> String {
        let plain = event.utf8.allSatisfy { $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "%") }
        let name = plain ? event : event.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "/", with: "%2F")
        return name + String(separator) + eventID
    }

    /// The (event, event_id) pair of a key written by ``make(event:eventID:)``.
    public static func parse(_ key: String) -> (event: String, eventID: String) {
        let parts = key.split(separator: separator, maxSplits: 1, omittingEmptySubsequences: false)
        var event = String(parts.first ?? "")
        if event.contains("%") {
            event = event.replacingOccurrences(of: "%2F", with: "/").replacingOccurrences(of: "%2f", with: "/")
                .replacingOccurrences(of: "%25", with: "%")
        }
        return (event, parts.count > 1 ? String(parts[1]) : "")
    }
}

extension DeadLetter {
    /// The TikTok event name and `event_id` this dead letter carries.
    public var tiktokEvent: (event: String, eventID: String) { TikTokEventKey.parse(key) }
}
