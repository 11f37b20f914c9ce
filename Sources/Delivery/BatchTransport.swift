/// Sends one batch of outbox entries to a destination and says what became of it.
///
/// Implementations must be safe to call concurrently, must not throw for a refused or failed
/// request (that is a ``TransportOutcome``), and must never log tokens or payload contents.
public protocol BatchTransport: Sendable {
    /// Sends `entries` (in order) as one request for `destination`.
    func send(_ entries: ArraySlice<OutboxEntry>, destination: String) async -> TransportOutcome

    /// Whether this transport can send `destination`'s events: a ``Deliverer`` also delivers
    /// the pending destinations it was not given for which this is true. Default: false.
    func canSend(to destination: String) -> Bool
}

extension BatchTransport {
    public func canSend(to destination: String) -> Bool { false }
}

/// What a destination did with one request.
public enum TransportOutcome: Sendable, Hashable {
    /// Every entry was taken. `receipt` is the destination's id for the request (e.g. a
    /// `request_id`), for logs and live views; nil when it gave none.
    case accepted(receipt: String?)
    /// Nothing was taken but a later attempt may succeed (rate limit, server error, network failure).
    case retryable(reason: String, retryAfter: Duration?)
    /// The request was refused because of its contents (e.g. one bad row). `suspect` is the index of
    /// the entry the destination named, when it named one. Retrying the same batch cannot succeed.
    case refused(reason: String, suspect: Int?)
    /// Credentials are missing, wrong or revoked: sending anything more is pointless.
    case unauthorized(reason: String)
    /// The request itself is wrong for this destination (endpoint, account settings), whatever
    /// its rows: nothing can be sent until the configuration changes.
    case misconfigured(reason: String)
}
