/// The event times TikTok attributes, from the settings: up to `max_event_age_days` old
/// (stale beyond) and at most `max_future_days` ahead of now (a clock that is wrong, or a
/// year typed as 9999, beyond). `stale_events` says what happens outside: refused, sent with
/// a warning, or not checked. The validate stage and the fused plan both judge by it.
struct EventTimeWindow: Sendable {
    let maxAgeDays: Int
    let maxFutureDays: Int
    let policy: TikTokSettings.StaleEvents

    init(settings: TikTokSettings) {
        maxAgeDays = settings.maxEventAgeDays
        maxFutureDays = settings.maxFutureDays
        policy = settings.staleEvents
    }

    /// True when an event at `milliseconds` (since 1970) needs no word: inside the window, or unchecked.
    func admits(milliseconds: Double, now: Int64) -> Bool {
        guard policy != .off else { return true }
        let days = Self.age(milliseconds: milliseconds, now: now)
        return days <= Double(maxAgeDays) && -days <= Double(maxFutureDays)
    }

    /// Why an event at `milliseconds` is outside the window; nil inside it or when unchecked.
    func problem(milliseconds: Double, now: Int64) -> String? {
        guard !admits(milliseconds: milliseconds, now: now) else { return nil }
        let days = Self.age(milliseconds: milliseconds, now: now)
        if days > 0 {
            return "stale: the event is \(Int(days)) days old; TikTok attributes offline events up to \(maxAgeDays) days (max_event_age_days)"
        }
        let ahead = -days < 2 ? "\(Int(-days * 24)) hours" : "\(Int(-days)) days"
        return "future: the event is dated \(ahead) ahead of now; TikTok does not attribute events more than \(maxFutureDays) day\(maxFutureDays == 1 ? "" : "s") ahead (max_future_days)"
    }

    /// Days from the event to `now` (seconds); negative for an event dated ahead.
    private static func age(milliseconds: Double, now: Int64) -> Double {
        (Double(now) * 1000 - milliseconds) / 86_400_000
    }
}
