/// Where one group of events goes: an event set, with the token that may write to it, and
/// the test code its requests carry (none for live events).
///
/// Events for different routes never share a request. The outbox stores events under
/// ``outboxDestination``, which names the event set, partner and test code but never holds
/// the token.
public struct TikTokRoute: Sendable, Hashable {
    public var eventSetID: String
    public var partnerName: String?
    public var accessToken: String
    /// TikTok's `test_event_code`: its requests show in the event set's Test Events tab only.
    public var testEventCode: String?

    public init(eventSetID: String, partnerName: String? = nil, accessToken: String, testEventCode: String? = nil) {
        self.eventSetID = eventSetID
        self.partnerName = partnerName
        self.accessToken = accessToken
        self.testEventCode = testEventCode.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The outbox destination key for this route's events:
    /// `tiktok:<event set>[|<partner>][#test:<code>]`.
    public var outboxDestination: String {
        liveDestination + (testEventCode.map { Self.testMarker + $0 } ?? "")
    }

    /// The same route for events with another test code (nil: live events).
    public func withTestEventCode(_ code: String?) -> TikTokRoute {
        TikTokRoute(eventSetID: eventSetID, partnerName: partnerName, accessToken: accessToken, testEventCode: code)
    }

    /// The route of an outbox destination that this route's events (live or with any test
    /// code) are stored under, with this route's token; nil for any other destination.
    public func route(forDestination destination: String) -> TikTokRoute? {
        let live = liveDestination
        if destination == live { return withTestEventCode(nil) }
        guard destination.hasPrefix(live + Self.testMarker) else { return nil }
        let code = String(destination.utf8.dropFirst(live.utf8.count + Self.testMarker.utf8.count))!
        return code.isEmpty ? nil : withTestEventCode(code)
    }

    private var liveDestination: String { "tiktok:" + eventSetID + (partnerName.map { "|" + $0 } ?? "") }
    private static let testMarker = "#test:"
}

extension TikTokRoute: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Never shows the token.
    public var description: String { "TikTokRoute(\(outboxDestination))" }
    public var debugDescription: String { description }
    /// `dump` and mirrors show the route without its token.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "eventSetID": eventSetID, "partnerName": partnerName as Any, "accessToken": "<redacted>",
            "testEventCode": testEventCode as Any,
        ])
    }
}
