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
        var metrics = config.metrics
        for i in metrics.targets.indices {
            // With tenancy on every job's series belong to a tenant (the default one unless
            // named); with it off the store has no tenants.
            guard config.server.tenancy else { metrics.targets[i].tenant = nil; continue }
            let tenant = metrics.targets[i].tenant ?? defaultTenant
            if let problem = TenantID.problem(tenant) {
                throw ConfigError.invalid(key: "metrics.targets", reason: "job \(metrics.targets[i].job): tenant: \(problem)")
            }
            metrics.targets[i].tenant = tenant
        }
        return ScrapeRuntime(manager: ScrapeManager(store: metricStore, logger: Logger(label: "kansoku.scrape")), config: metrics)
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
