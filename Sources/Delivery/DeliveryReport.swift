/// Running totals of a ``Deliverer``; the same shape serves as its final report.
public struct DeliveryReport: Sendable, Hashable {
    /// Events the destination confirmed.
    public var sent = 0
    /// Events the destination refused, now in the dead letters with its reason.
    public var deadLettered = 0
    /// Event sends repeated after a failed attempt, whatever failed (the network included): a
    /// batch of 500 sent three times counts 1,000.
    public var retried = 0
    /// Requests made, successful or not.
    public var requests = 0
    /// Why delivery stopped before the outbox was empty; nil when it finished normally.
    public var failure: DeliveryFailure?

    public init() {}
}

/// Why a ``Deliverer`` stopped early. The events it had not delivered are still pending in the outbox.
public enum DeliveryFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The destination refused the credentials; nothing more can be sent with them.
    case unauthorized(String)
    /// The destination refused the requests themselves (wrong endpoint or settings).
    case misconfigured(String)
    /// A batch kept failing with retryable errors until the retry policy gave up.
    case unavailable(String)
    /// The outbox itself failed (disk full, file removed, damaged: see ``OutboxError``).
    case outbox(String)
    /// Another process holds the outbox's delivery lock.
    case busy(String)
    /// ``Deliverer/run()`` was called while it was already running.
    case alreadyRunning

    public var description: String {
        switch self {
        case .unauthorized(let reason): "authentication failed: \(reason)"
        case .misconfigured(let reason): "requests refused: \(reason)"
        case .unavailable(let reason): "destination unavailable: \(reason)"
        case .outbox(let reason): "outbox error: \(reason)"
        case .busy(let reason): "outbox busy: \(reason)"
        case .alreadyRunning: "this deliverer is already running (one run() at a time)"
        }
    }
}

/// Events settled for good by a ``Deliverer``: taken by the destination, or kept as dead letters.
public struct DeliverySettlement: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// Taken; `receipt` is the destination's id for the request (e.g. a `request_id`).
        case delivered(receipt: String?)
        /// Refused by the destination, now a dead letter with this reason.
        case deadLettered(reason: String)
    }

    public var destination: String
    /// The events' outbox keys.
    public var keys: [String]
    public var outcome: Outcome
}
