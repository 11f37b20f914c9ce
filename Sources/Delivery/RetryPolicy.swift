/// When to try a failed request again: exponential backoff with full jitter, bounded in attempts and time.
///
/// The delay before retry *n* (1-based) is a random duration in `0...min(maxDelay, baseDelay·2ⁿ⁻¹)`
/// ("full jitter"), so many senders that failed together do not retry together. A server's
/// `Retry-After` wins over the computed delay when it is longer.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first one included.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// No retry starts later than this after the first attempt.
    public var maxElapsed: Duration

    public init(
        maxAttempts: Int = 8,
        baseDelay: Duration = .milliseconds(100),
        maxDelay: Duration = .seconds(30),
        maxElapsed: Duration = .seconds(300)
    ) {
        precondition(maxAttempts >= 1, "at least one attempt")
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxElapsed = maxElapsed
    }

    /// The wait before the next attempt, or nil when the policy gives up.
    ///
    /// - Parameters:
    ///   - failedAttempts: attempts made so far (≥ 1).
    ///   - elapsed: time since the first attempt.
    ///   - retryAfter: the server's requested wait, if any.
    public func delay<G: RandomNumberGenerator>(
        afterAttempt failedAttempts: Int,
        elapsed: Duration,
        retryAfter: Duration? = nil,
        using generator: inout G
    ) -> Duration? {
        guard failedAttempts < maxAttempts else { return nil }
        let exponent = min(failedAttempts - 1, 62)
        let ceiling = min(maxDelay, baseDelay * Double(1 << exponent))
        let ceilingNanoseconds = max(0, ceiling.nanoseconds)
        var wait = Duration.nanoseconds(Int64.random(in: 0...ceilingNanoseconds, using: &generator))
        if let retryAfter, retryAfter > wait { wait = retryAfter }
        guard elapsed + wait <= maxElapsed else { return nil }
        return wait
    }

    public func delay(afterAttempt failedAttempts: Int, elapsed: Duration, retryAfter: Duration? = nil) -> Duration? {
        var generator = SystemRandomNumberGenerator()
        return delay(afterAttempt: failedAttempts, elapsed: elapsed, retryAfter: retryAfter, using: &generator)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled &+ attoseconds / 1_000_000_000
    }
}
