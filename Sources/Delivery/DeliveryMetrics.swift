import Metrics

/// The delivery counters, created once per ``Deliverer`` from the bootstrapped metrics backend.
struct DeliveryMetrics: Sendable {
    let sent = Counter(label: "delivery_events_sent_total")
    let deadLettered = Counter(label: "delivery_events_dead_lettered_total")
    let retried = Counter(label: "delivery_events_retried_total")
    let requests = Counter(label: "delivery_requests_total")
    let batchSize = Recorder(label: "delivery_batch_size")
}
