import ConversionEngine
import Foundation
import MappingKit

extension OutboxMessage {
    /// The outbox message for one Events API `data` element (already normalized and hashed).
    ///
    /// Its key is (event, event_id), which is how TikTok deduplicates, so re-enqueuing the same
    /// event after a restart is a no-op and re-sending it is harmless. An element without an
    /// `event_id` is given a random one here, so its retries still deduplicate at TikTok.
    public init(tiktokEvent element: JSON) {
        var element = element
        let event = element["event"]?.stringValue ?? ""
        let eventID: String
        if let existing = element["event_id"]?.stringValue, !existing.isEmpty {
            eventID = existing
        } else {
            eventID = UUID().uuidString.lowercased()
            if case .object(var object) = element {
                object["event_id"] = .string(eventID)
                element = .object(object)
            }
        }
        var payload: [UInt8] = []
        payload.reserveCapacity(768)
        element.serialize(into: &payload)
        self.init(key: TikTokEventKey.make(event: event, eventID: eventID), payload: payload)
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
