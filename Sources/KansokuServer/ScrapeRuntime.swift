import KansokuCore
import KansokuMetricStore
import KansokuScrape
import Logging

/// The scrape loops of `metrics.targets`, feeding the metric store.
final class ScrapeRuntime: Sendable {
    let manager: ScrapeManager
    let config: MetricsScrapeConfig

    init(manager: ScrapeManager, config: MetricsScrapeConfig) {
        self.manager = manager
        self.config = config
    }

    static func make(config: KansokuConfig, metricStore: MetricStore, logger: Logger) throws -> ScrapeRuntime? {
        guard !config.metrics.targets.isEmpty else { return nil }
        do { try config.metrics.validate() } catch { throw ConfigError.invalid(key: "metrics", reason: "\(error)") }
        return ScrapeRuntime(manager: ScrapeManager(store: metricStore, logger: Logger(label: "kansoku.scrape")), config: config.metrics)
    }

    /// Starts the loops and keeps them until cancelled; then stops them (no stale markers, so a
    /// restart continues the series, as Prometheus does).
    func run() async throws {
        try await manager.apply(config)
        do {
            while true { try await Task.sleep(for: .seconds(3600)) }
        } catch {
            await manager.shutdown()
            throw error
        }
    }

    func renderMetrics() -> String { "" }
}
