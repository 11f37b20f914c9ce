/// Which kind of event set receives the events: TikTok's `event_source`.
public enum TikTokEventSource: String, Sendable, Hashable, CaseIterable {
    /// An offline event set (store purchases, calls): the default.
    case offline
    /// A CRM event set (lead status updates), whose events carry `lead`.
    case crm
    /// A pixel (website events; TikTok Conversions).
    case web
}

/// Where one group of events goes: an event set of a kind, with the token that may write to
/// it, and the test code its requests carry (none for live events).
///
/// Events for different routes never share a request. The outbox stores events under
/// ``outboxDestination``, which names the event set, its kind, the partner and the test code
/// but never holds the token.
public struct TikTokRoute: Sendable, Hashable {
    public var eventSetID: String
    public var eventSource: TikTokEventSource
    public var partnerName: String?
    public var accessToken: String
    /// TikTok's `test_event_code`: its requests show in the event set's Test Events tab only.
    public var testEventCode: String?
    /// What its outbox queues start with: ``offlineQueues`` (`tiktok:`) for TikTok Offline,
    /// ``webQueues`` (`tiktok-web:`) for TikTok Conversions, so that each destination's
    /// transport sends its own queues only, even for the same event set.
    public var queuePrefix: String

    /// The queue prefix of TikTok Offline's routes (the keys outboxes have always had).
    public static let offlineQueues = "tiktok:"
    /// The queue prefix of TikTok Conversions' routes.
    public static let webQueues = "tiktok-web:"

    public init(
        eventSetID: String, eventSource: TikTokEventSource = .offline, partnerName: String? = nil, accessToken: String,
        testEventCode: String? = nil, queuePrefix: String = TikTokRoute.offlineQueues
    ) {
        self.eventSetID = eventSetID
        self.eventSource = eventSource
        self.partnerName = partnerName
        self.accessToken = accessToken
        self.testEventCode = testEventCode.flatMap { $0.isEmpty ? nil : $0 }
        self.queuePrefix = queuePrefix
    }

    /// The outbox destination key for this route's events:
    /// `<prefix><event set>[|<partner>][#crm|#web][#test:<code>]` (offline routes keep the key they
    /// have always had, so an outbox written before event sources existed still delivers).
    public var outboxDestination: String {
        Self.outboxDestination(
            eventSetID: eventSetID, eventSource: eventSource, partnerName: partnerName, testEventCode: testEventCode, prefix: queuePrefix)
    }

    /// The outbox destination of events for `eventSetID` of kind `eventSource`, sent with
    /// `partnerName`'s token under `testEventCode`: a route's ``outboxDestination``, without the token.
    public static func outboxDestination(
        eventSetID: String, eventSource: TikTokEventSource, partnerName: String?, testEventCode: String?, prefix: String = offlineQueues
    ) -> String {
        prefix + eventSetID + (partnerName.map { "|" + $0 } ?? "")
            + (eventSource == .offline ? "" : "#" + eventSource.rawValue)
            + (testEventCode.flatMap { $0.isEmpty ? nil : testMarker + $0 } ?? "")
    }

    /// The route of an outbox destination this route's token sends: any event set, kind and
    /// test code written with this route's partner name; nil for a destination of another
    /// partner or not written by ``outboxDestination``.
    public func route(forDestination destination: String) -> TikTokRoute? {
        guard var rest = destination.dropPrefix(queuePrefix) else { return nil }
        var code: String?
        if let marker = rest.firstRange(of: Self.testMarker) {
            code = String(rest[marker.upperBound...])
            guard !code!.isEmpty else { return nil }
            rest = rest[..<marker.lowerBound]
        }
        var source = TikTokEventSource.offline
        if let hash = rest.lastIndex(of: "#") {
            guard let kind = TikTokEventSource(rawValue: String(rest[rest.index(after: hash)...])), kind != .offline else { return nil }
            source = kind
            rest = rest[..<hash]
        }
        let parts = rest.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
        let partner = parts.count > 1 ? String(parts[1]) : nil
        guard let set = parts.first, !set.isEmpty, partner == partnerName else { return nil }
        return TikTokRoute(eventSetID: String(set), eventSource: source, partnerName: partner, accessToken: accessToken,
                           testEventCode: code, queuePrefix: queuePrefix)
    }

    /// Whether `id` can name an event set: 1–64 letters, digits, `_` or `-` (TikTok's are
    /// 19 digits), so that an id taken from an event can neither break an outbox key nor a request.
    public static func isValidEventSetID(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x5F || $0 == 0x2D }
    }

    /// Whether `name` can be a partner name: 1–64 characters, none of them `#`, `|` or a
    /// control character (the outbox key separates its parts with `#` and `|`).
    public static func isValidPartnerName(_ name: String) -> Bool {
        (1...64).contains(name.count) && name.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7F && $0 != UInt8(ascii: "#") && $0 != UInt8(ascii: "|") }
    }

    private static let testMarker = "#test:"
}

extension TikTokRoute: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Never shows the token.
    public var description: String { "TikTokRoute(\(outboxDestination))" }
    public var debugDescription: String { description }
    /// `dump` and mirrors show the route without its token.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "eventSetID": eventSetID, "eventSource": eventSource.rawValue, "partnerName": partnerName as Any,
            "accessToken": "<redacted>", "testEventCode": testEventCode as Any,
        ])
    }
}

extension String {
    fileprivate func dropPrefix(_ prefix: String) -> Substring? {
        hasPrefix(prefix) ? self[index(startIndex, offsetBy: prefix.count)...] : nil
    }
}
