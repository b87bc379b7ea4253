import KansokuCore

/// Kansoku's own HTTP-side metrics (pushes, query latency), kept in the process registry that
/// `/metrics` renders beside the stores', scrapers', rules' and notifier's.
final class ServerMetrics: Sendable {
    let pushRequests: CounterFamily
    let pushEntries: CounterFamily
    let queryDuration: HistogramFamily

    init(registry: MetricsRegistry = .shared) {
        pushRequests = registry.counter("kansoku_push_requests_total", help: "Loki push requests received.")
        pushEntries = registry.counter("kansoku_push_entries_total", help: "Log entries received by push, by outcome.",
                                       labelNames: ["outcome"])
        queryDuration = registry.histogram("kansoku_query_duration_seconds", help: "Query latency by language.",
                                           labelNames: ["language"])
    }

    func recordPush(accepted: Int, rejected: Int) {
        pushRequests.inc()
        pushEntries.labels("accepted").inc(Double(accepted))
        pushEntries.labels("rejected").inc(Double(rejected))
    }

    func recordQuery(seconds: Double, kind: String) {
        queryDuration.labels(kind).observe(seconds)
    }
}
