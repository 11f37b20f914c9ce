import TikTokEventsAPI
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

extension DeadLetter {
    /// The TikTok event name and `event_id` this dead letter carries.
    public var tiktokEvent: (event: String, eventID: String) { TikTokEventKey.parse(key) }
}
