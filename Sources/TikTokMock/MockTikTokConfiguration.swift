/// How the stand-in behaves: where it listens and which faults it injects.
public struct MockTikTokConfiguration: Sendable, Hashable {
    public var host: String
    /// 0 picks a free port; read the bound one from ``MockTikTok/start()``.
    public var port: Int
    /// Share of event requests answered with HTTP 500 (0…1).
    public var failRate: Double
    /// Share of events (rows) refused as TikTok refuses a bad row: the request that carries
    /// one is answered with code 40002 naming it as `data[i]`. Which rows are refused depends
    /// only on their `event_id` and ``seed``, so a refused row is refused again when sent
    /// alone, and becomes a dead letter; rows without an `event_id` are never refused (0…1).
    public var refuseRate: Double
    /// Every n-th event request is answered with code 40100 (rate limited); 0 disables.
    public var rateLimitEvery: Int
    /// Seconds a rate-limited client is asked to wait (`Retry-After`); nil sends no header.
    public var retryAfterSeconds: Int?
    /// Delay added before answering each event request.
    public var latency: Duration
    /// Refuse every token with code 40001, as TikTok does for a wrong token.
    public var badToken: Bool
    /// Seed for the injected failures, so a run can be repeated exactly.
    public var seed: UInt64
    /// Largest request body accepted.
    public var maxBodyBytes: Int
    /// A connection that sends nothing for this long is closed.
    public var idleTimeout: Duration

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        failRate: Double = 0,
        refuseRate: Double = 0,
        rateLimitEvery: Int = 0,
        retryAfterSeconds: Int? = nil,
        latency: Duration = .zero,
        badToken: Bool = false,
        seed: UInt64 = 0x5EED,
        maxBodyBytes: Int = 16 << 20,
        idleTimeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port
        self.failRate = failRate
        self.refuseRate = refuseRate
        self.rateLimitEvery = rateLimitEvery
        self.retryAfterSeconds = retryAfterSeconds
        self.latency = latency
        self.badToken = badToken
        self.seed = seed
        self.maxBodyBytes = maxBodyBytes
        self.idleTimeout = idleTimeout
    }
}

/// What the stand-in has seen; served as `GET /__stats`.
public struct MockTikTokStats: Sendable, Hashable, Codable {
    /// Requests to the events endpoint, answered in any way.
    public var requests = 0
    /// Events in requests answered with code 0 (duplicates included).
    public var eventsReceived = 0
    /// Distinct (event, event_id) pairs accepted as live events; what TikTok would count.
    public var uniqueEvents = 0
    /// Distinct (event, event_id) pairs accepted in requests with a `test_event_code`: what
    /// TikTok shows in the Test Events tab, not counted in ``uniqueEvents``.
    public var testEvents = 0
    /// Requests answered with anything but code 0.
    public var rejectedRequests = 0
    /// Events that arrived while another request carrying the same `event_id` was still being
    /// answered: the sign of two senders holding one event at once (0 for a sound outbox).
    public var overlappingEvents = 0
    /// Per event set (`event_source_id`): what was accepted (and refused) for it.
    public var eventSets: [String: EventSetStats] = [:]

    public init() {}

    enum CodingKeys: String, CodingKey {
        case requests
        case eventsReceived = "events_received"
        case uniqueEvents = "unique_events"
        case testEvents = "test_events"
        case rejectedRequests = "rejected_requests"
        case overlappingEvents = "overlapping_events"
        case eventSets = "event_sets"
    }
}

/// What the stand-in accepted for one event set.
public struct EventSetStats: Sendable, Hashable, Codable {
    /// The `event_source` of its requests (`offline`, `crm`, …); the last one seen.
    public var eventSource = ""
    /// Requests answered with code 0.
    public var requests = 0
    /// Events in those requests (duplicates included).
    public var eventsReceived = 0
    /// Distinct (event, event_id) pairs accepted as live events.
    public var uniqueEvents = 0
    /// Distinct (event, event_id) pairs accepted with a `test_event_code`.
    public var testEvents = 0
    /// Requests for this event set answered with anything but code 0.
    public var rejectedRequests = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case eventSource = "event_source"
        case requests
        case eventsReceived = "events_received"
        case uniqueEvents = "unique_events"
        case testEvents = "test_events"
        case rejectedRequests = "rejected_requests"
    }
}

extension MockTikTokConfiguration {
    /// True when ``refuseRate`` picks the row with this `event_id`: the same answer every time.
    func refuses(eventID: String) -> Bool {
        guard refuseRate > 0 else { return false }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
        for byte in eventID.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var generator = SplitMix64(seed: hash)
        return generator.nextUnit() < refuseRate
    }
}
