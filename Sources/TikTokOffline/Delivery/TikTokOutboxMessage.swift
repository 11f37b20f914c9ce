import Delivery
import ConversionEngine
import Foundation
import MappingKit

extension OutboxMessage {
    /// The outbox message for one serialized Events API `data` element (already normalized and
    /// hashed), as the request builder writes it.
    ///
    /// Its key is (event, event_id), which is how TikTok deduplicates, so re-enqueuing the same
    /// event after a restart is a no-op and re-sending it is harmless. An element without an
    /// `event_id` is given a random one here (written before `"user"`), so its retries still
    /// deduplicate at TikTok.
    public init(tiktokElement element: [UInt8], event: String, eventID: String?) {
        if let eventID, !eventID.isEmpty {
            self.init(key: TikTokEventKey.make(event: event, eventID: eventID), payload: element)
            return
        }
        let generated = UUID().uuidString.lowercased()
        var payload = element
        var member = Array(#","event_id":"#.utf8)
        JSON.serializeString(generated, into: &member)
        payload.insert(contentsOf: member, at: Self.userMemberOffset(in: element) ?? max(0, element.count - 1))
        self.init(key: TikTokEventKey.make(event: event, eventID: generated), payload: payload)
    }

    /// The outbox message for a record whose `send` stage wrote its `data` element
    /// (``Record/output``); nil when it has none.
    public init?(tiktokRecord record: borrowing Record) {
        guard let element = record.output else { return nil }
        self.init(tiktokElement: element, event: record.fields["event"]?.stringValue ?? "", eventID: Self.eventID(record.fields["event_id"]))
    }

    /// The outbox message for one `data` element given as JSON (it is serialized here).
    public init(tiktokEvent element: JSON) {
        var payload: [UInt8] = []
        element.serialize(into: &payload)
        self.init(tiktokElement: payload, event: element["event"]?.stringValue ?? "", eventID: Self.eventID(element["event_id"]))
    }

    /// The `event_id` a key is made of, as the element carries it (a non-string id as its JSON
    /// text); nil when it is missing or falsy.
    private static func eventID(_ value: JSON?) -> String? {
        value.flatMap { $0.isTruthy ? ($0.stringValue ?? $0.serialized()) : nil }
    }

    /// Where `,"user":{` starts: no string value can hold that sequence unescaped, so the first
    /// one is the member separator.
    static func userMemberOffset(in element: [UInt8]) -> Int? {
        let needle = Array(#","user":"#.utf8)
        guard element.count >= needle.count else { return nil }
        for start in 0...(element.count - needle.count) where element[start] == needle[0] {
            if element[start..<start + needle.count].elementsEqual(needle) { return start }
        }
        return nil
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
