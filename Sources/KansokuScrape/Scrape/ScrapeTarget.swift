public import KansokuCore

/// One address of one job, with everything its loop needs.
public struct ScrapeTarget: Sendable, Hashable {
    public var job: String
    /// `host:port`, the `instance` label.
    public var address: String
    public var url: String
    public var labels: TargetLabels
    public var interval: PromDuration
    public var timeout: PromDuration
    public var honorTimestamps: Bool

    public var instance: String { address }

    /// The targets a config describes, one per address. A timeout longer than the interval is
    /// capped at the interval (a scrape never overlaps the next one).
    public static func targets(from config: MetricsScrapeConfig) -> [ScrapeTarget] {
        config.targets.flatMap { job in
            job.targets.map { address in
                var labels = job.labels
                labels["job"] = job.job
                labels["instance"] = address
                if let tenant = job.tenant { labels[MetricTenancy.label] = tenant }
                let interval = job.interval ?? config.scrapeInterval
                let timeout = min(job.timeout ?? config.scrapeTimeout, interval)
                return ScrapeTarget(
                    job: job.job, address: address, url: "\(job.scheme)://\(address)\(job.metricsPath)",
                    labels: TargetLabels(labels: Labels(labels), honorLabels: job.honorLabels),
                    interval: interval, timeout: timeout, honorTimestamps: job.honorTimestamps)
            }
        }
    }

    /// Where in the interval this target is scraped: a stable spread so that many targets do
    /// not all fire at once, the same on every restart (Prometheus hashes the target too).
    public func offset(interval: Int64) -> Int64 {
        guard interval > 0 else { return 0 }
        var h = labels.labels.stableHash
        h ^= url.utf8.reduce(into: FNV1a64()) { $0.combine(byte: $1) }.value
        return Int64(h % UInt64(interval))
    }
}

/// How a target did on its last scrape (for `/api/v1/targets` and the dashboard).
public struct TargetHealth: Sendable, Hashable {
    public enum State: String, Sendable, Hashable { case unknown, up, down }

    public var job: String
    public var instance: String
    public var url: String
    public var labels: Labels
    public var state: State = .unknown
    /// Unix milliseconds of the last scrape's start.
    public var lastScrape: Int64 = 0
    public var lastDurationSeconds: Double = 0
    public var lastError: String?
    public var lastSamples: Int = 0
    public var interval: PromDuration
    public var timeout: PromDuration
}
