import ConversionEngine
import CoreMetrics
import Prometheus
import Synchronization
import TikTokOffline

/// The service's own figures, through swift-metrics (so an embedder's backend gets them too),
/// and the Prometheus text that `/metrics` serves when a registry is given.
///
/// - `http_requests_total{route,status}`: ingest requests by route and HTTP status.
/// - `ingest_events_total{route,outcome}`: events and records by outcome (`stored`, `refused`
///   before ingest, `rejected` by a mapping, `skipped`, `unmapped`: no enabled mapping fired).
/// - `ack_latency_seconds{route}`: from request to answer (a histogram).
/// - `outbox_pending_events`, `outbox_dead_letters`: read from the outbox at each scrape.
/// - Match quality per mapping (``MatchQualityMetrics``), also kept as a running ``matchQuality``.
/// - The engine's and the deliverer's counters (`events_*_total`, `delivery_*`).
final class ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry?
    private let counters = Mutex<[String: CoreMetrics.Counter]>([:])
    private let timers = Mutex<[String: CoreMetrics.Timer]>([:])
    let pending = Gauge(label: "outbox_pending_events")
    let deadLetters = Gauge(label: "outbox_dead_letters")
    private let matchQualityCounters = MatchQualityMetrics()
    private let matchQualityTally = Mutex(MatchQuality())

    init(registry: PrometheusCollectorRegistry?) {
        self.registry = registry
    }

    func request(route: String, status: Int, seconds: Double) {
        counter("http_requests_total", [("route", route), ("status", String(status))]).increment()
        let timer = timers.withLock { timers in
            if let timer = timers[route] { return timer }
            let timer = CoreMetrics.Timer(label: "ack_latency_seconds", dimensions: [("route", route)])
            timers[route] = timer
            return timer
        }
        timer.recordNanoseconds(Int64(seconds * 1e9))
    }

    func events(route: String, outcome: String, count: Int) {
        guard count > 0 else { return }
        counter("ingest_events_total", [("route", route), ("outcome", outcome)]).increment(by: count)
    }

    /// Counts what became of the events that reached the ingest (refused before it: counted by the caller).
    func recorded(_ ingested: IngestedBatch, route: String) {
        events(route: route, outcome: "refused", count: ingested.eventErrors.count)
        events(route: route, outcome: "stored", count: ingested.totals.accepted)
        events(route: route, outcome: "rejected", count: ingested.totals.rejected)
        events(route: route, outcome: "skipped", count: ingested.totals.skipped)
        events(route: route, outcome: "unmapped", count: ingested.totals.unmapped)
        var quality = MatchQuality()
        quality.add(ingested.batch.records)
        matchQualityCounters.record(quality)
        matchQualityTally.withLock { $0.add(quality) }
    }

    /// Match quality of every record since the service started.
    var matchQuality: MatchQuality { matchQualityTally.withLock { $0 } }

    /// The Prometheus text of everything registered.
    func emit() -> [UInt8] {
        var buffer: [UInt8] = []
        registry?.emit(into: &buffer)
        return buffer
    }

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Counter {
        let key = label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        return counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = CoreMetrics.Counter(label: label, dimensions: dimensions)
            counters[key] = counter
            return counter
        }
    }
}
