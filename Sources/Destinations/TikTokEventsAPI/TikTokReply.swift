import Delivery
import JSONKit

/// TikTok's answer to a request (`{code, message, request_id}`) and what it means for delivery.
public struct TikTokReply: Sendable, Hashable {
    /// HTTP status.
    public var status: Int
    /// TikTok's code; 0 is success. Nil when the body was not TikTok's JSON.
    public var code: Int?
    public var message: String
    public var requestID: String?

    /// Reads a response body; a body that is not TikTok's JSON keeps `code` nil.
    public init(status: Int, body: some Collection<UInt8>) {
        self.status = status
        let json = try? JSON.parse(bytes: body, limits: JSONLimits(maxDepth: 16, maxBytes: 1 << 20))
        switch json?["code"] {
        case .int(let code)?: self.code = code
        case .double(let code)?: self.code = Int(exactly: code)
        default: self.code = nil
        }
        self.message = json?["message"]?.stringValue ?? ""
        self.requestID = json?["request_id"]?.stringValue
    }

    public var succeeded: Bool { (200..<300).contains(status) && code == 0 }

    /// What delivery should do about this reply.
    ///
    /// - 0: accepted.
    /// - 40001, 40104, 40105, HTTP 401/403: bad or revoked token — stop, keep everything.
    /// - 40100, HTTP 429, 5xx, codes 5xxxx, unreadable bodies: retry (honouring `Retry-After`).
    /// - 40002 and other 4xxxx codes, HTTP 400/413: the contents were refused — isolate the bad rows;
    ///   but a refusal of the envelope (`event_source…`, naming no row) or HTTP 404/405 means the
    ///   configuration is wrong — stop, keep everything.
    /// - 20001, partial success (some rows taken, some not): handled as a refusal of the rows, so
    ///   the batch is split (around the row the message names, else in halves) and sent again
    ///   until the refused rows stand alone as dead letters. The rows TikTok took are sent again
    ///   with the same `event_id`, which it deduplicates: nothing is lost or counted twice, even
    ///   though the reply does not say which rows were taken. Any other code in 2xxxx that is not
    ///   0 is read the same way.
    public func outcome(retryAfter: Duration? = nil) -> TransportOutcome {
        let detail = describe()
        switch (status, code) {
        case (401, _), (403, _), (_, 40001?), (_, 40104?), (_, 40105?):
            return .unauthorized(reason: detail)
        case (429, _), (408, _), (500..., _), (_, 40100?):
            return .retryable(reason: detail, retryAfter: retryAfter)
        case (200..<300, 0?):
            return .accepted(receipt: requestID)
        case (_, let code?) where code >= 50000:
            return .retryable(reason: detail, retryAfter: retryAfter)
        case (200..<300, 20001?):
            return .refused(reason: "partial success, \(detail)", suspect: Self.suspectRow(in: message))
        case (200..<300, .some), (400, _), (413, _):
            let suspect = Self.suspectRow(in: message)
            if suspect == nil, message.contains("event_source") { return .misconfigured(reason: detail) }
            return .refused(reason: detail, suspect: suspect)
        case (404, _), (405, _):
            return .misconfigured(reason: "the endpoint does not accept events (\(detail)); check --endpoint")
        default:
            return .retryable(reason: detail, retryAfter: retryAfter)
        }
    }

    /// "TikTok 40002: <message>" or "HTTP 502"; never contains request contents beyond TikTok's message.
    public func describe() -> String {
        switch code {
        case let code?: "TikTok \(code): \(message.isEmpty ? "(no message)" : message)"
        case nil: "HTTP \(status) without a TikTok reply"
        }
    }

    /// The row a refusal names as `data[i]`, if any.
    package static func suspectRow(in message: String) -> Int? {
        guard let range = message.range(of: "data[") else { return nil }
        let digits = message[range.upperBound...].prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, message[range.upperBound...].dropFirst(digits.count).first == "]" else { return nil }
        return Int(digits)
    }
}
