/// Where one group of events goes: an event set, with the token that may write to it.
///
/// Events for different routes never share a request. The outbox stores events under
/// ``outboxDestination``, which names the event set and partner but never holds the token.
public struct TikTokRoute: Sendable, Hashable {
    public var eventSetID: String
    public var partnerName: String?
    public var accessToken: String

    public init(eventSetID: String, partnerName: String? = nil, accessToken: String) {
        self.eventSetID = eventSetID
        self.partnerName = partnerName
        self.accessToken = accessToken
    }

    /// The outbox destination key for this route's events.
    public var outboxDestination: String {
        "tiktok:" + eventSetID + (partnerName.map { "|" + $0 } ?? "")
    }
}

extension TikTokRoute: CustomStringConvertible {
    /// Never shows the token.
    public var description: String { "TikTokRoute(\(outboxDestination))" }
}
