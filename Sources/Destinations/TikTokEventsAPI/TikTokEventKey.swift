import JSONKit

/// The outbox key of a TikTok event, `<event>/<event_id>`: the pair TikTok deduplicates on.
///
/// The event name is written with `%` as `%25` and `/` as `%2F`, so the first `/` always ends
/// it: ("A", "B/C") and ("A/B", "C") have different keys (`A/B/C` and `A%2FB/C`). For a name
/// with neither character — every TikTok standard event, every shipped preset — the key is the
/// same as before this escaping existed, so outboxes written earlier read as they did; an older
/// key whose name held a `/` still parses (at its first `/`) and its payload is sent as stored.
public enum TikTokEventKey {
    package static let separator: Character = "/"

    /// The key of a record whose prepared ``Record/fields`` carry `event` and `event_id`; nil
    /// without an `event_id` (a send stage whose sink ``EventSink/needsEventIDs`` gives every
    /// record one).
    public static func make(fields: JSONObject) -> String? {
        guard let eventID = eventID(fields["event_id"]) else { return nil }
        return make(event: fields["event"]?.stringValue ?? "", eventID: eventID)
    }

    /// The `event_id` a key is made of, as the element carries it (a non-string id as its JSON
    /// text); nil when it is missing or falsy.
    package static func eventID(_ value: JSON?) -> String? {
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
