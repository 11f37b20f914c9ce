import Metrics
import Synchronization

/// Match quality as swift-metrics counters, so `/metrics` (of `serve`, or `run --metrics-port`)
/// shows per mapping what ``MatchQuality`` reports at the end:
///
/// - `match_records_total{mapping}`: records made.
/// - `match_identifier_records_total{mapping,identifier}`: records sent carrying the identifier
///   (`email`, `phone`, `external_id`, `ttclid`, `ip_and_user_agent`).
///   (`phone_without_country_code` counts, of those with a phone, the ones sent without a country code.)
/// - `match_no_identifier_total{mapping}`: records refused for carrying none.
/// - `match_dropped_values_total{mapping,reason}`: identifier values dropped while normalizing.
///
/// Labels are mapping names and the normalizer's fixed reasons: never a value from an event.
public final class MatchQualityMetrics: Sendable {
    private let counters = Mutex<[String: Counter]>([:])

    public init() {}

    /// Adds one batch's figures.
    public func record(_ quality: MatchQuality) {
        for (name, figures) in quality.mappings {
            increment("match_records_total", [("mapping", name)], by: figures.records)
            for (identifier, count) in figures.identifiers {
                increment("match_identifier_records_total", [("mapping", name), ("identifier", identifier)], by: count)
            }
            increment("match_no_identifier_total", [("mapping", name)], by: figures.noIdentifier)
            for (reason, count) in figures.dropped {
                increment("match_dropped_values_total", [("mapping", name), ("reason", reason)], by: count)
            }
        }
    }

    private func increment(_ label: String, _ dimensions: [(String, String)], by count: Int) {
        let key = label + dimensions.map { "|\($0.1)" }.joined()
        let counter = counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: label, dimensions: dimensions)
            counters[key] = counter
            return counter
        }
        // Created even at zero, so a mapping's series exist from its first record.
        counter.increment(by: count)
    }
}
