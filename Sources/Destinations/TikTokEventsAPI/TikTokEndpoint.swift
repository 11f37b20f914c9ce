/// The Events API host and paths; point ``baseURL`` at a stand-in to test without TikTok.
public struct TikTokEndpoint: Sendable, Hashable {
    public static let production = TikTokEndpoint(baseURL: "https://business-api.tiktok.com")

    /// Scheme, host and optional port, without a trailing slash.
    public var baseURL: String

    public init(baseURL: String) {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        self.baseURL = url
    }

    /// `POST` target for events.
    public var eventsURL: String { baseURL + "/open_api/v1.3/event/track/" }
    /// `POST` target of the connection check.
    public var connectionCheckURL: String { baseURL + "/open_api/v1.3/offline/track/" }
}
