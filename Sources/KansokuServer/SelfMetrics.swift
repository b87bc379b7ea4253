import KansokuCore
import KansokuScrape

extension ServerCore {
    /// `/metrics`: Kansoku's own state in the text exposition format 0.0.4 — the process
    /// registry (HTTP, stores, scrapes) followed by the rules' and notifier's families.
    func renderMetrics() async -> String {
        MetricsRegistry.shared.collectMetricStore(metricStore)
        let (body, _) = MetricsRegistry.shared.exposition(accept: nil)
        return String(decoding: body, as: UTF8.self) + (await loops.renderMetrics()) + (shipping?.renderMetrics() ?? "") + (querier?.renderMetrics() ?? "")
    }
}
