import AsyncHTTPClient
import JSONKit
import NIOCore

/// The answer to "may this token write to this event set?", as the reference's connection test asks it.
public enum TikTokConnectionCheck: Sendable, Hashable, CustomStringConvertible {
    case valid
    /// TikTok refused the token or the event set id, with its message.
    case refused(TikTokReply)
    /// TikTok could not be asked (network, timeout, unexpected answer).
    case unreachable(String)

    public var description: String {
        switch self {
        case .valid: "OK: the access token is accepted for this event set."
        case .refused(let reply): "Refused: \(reply.describe())"
        case .unreachable(let reason): "Could not reach TikTok: \(reason)"
        }
    }
}

extension TikTokEventsClient {
    /// Sends the reference's connection test: `POST …/offline/track/` with
    /// `{"event_set_id": ID, "event": "Test Event", "timestamp": "", "context": {}}`.
    public func checkConnection(eventSetID: String, accessToken: String) async -> TikTokConnectionCheck {
        let body: JSON = [
            "event_set_id": .string(eventSetID), "event": "Test Event", "timestamp": "", "context": .object(JSONObject()),
        ]
        do {
            let (reply, _) = try await post(ByteBuffer(string: body.serialized()), to: endpoint.connectionCheckURL, token: accessToken)
            if reply.succeeded { return .valid }
            if reply.code == nil { return .unreachable(reply.describe()) }
            return .refused(reply)
        } catch {
            return .unreachable(Self.describe(error, endpoint: endpoint.baseURL))
        }
    }
}
