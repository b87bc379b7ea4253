public import AsyncHTTPClient
public import KansokuCore
public import KansokuMetricStore
public import Logging
import Synchronization

/// Runs one scrape loop per configured target and keeps them in step with the config:
/// `apply(_:)` starts new targets, stops removed ones (writing their stale markers) and
/// restarts changed ones. `shutdown()` stops everything without stale markers, as
/// Prometheus does on exit, so a restart continues the series seamlessly.
public actor ScrapeManager {
    private struct Running {
        let target: ScrapeTarget
        let task: Task<Void, Never>
        let control: ScrapeLoopControl
        let loop: ScrapeLoop
    }

    private let store: MetricStore
    private let logger: Logger
    private let client: HTTPClient
    private let ownsClient: Bool
    private let metrics: ScrapeSelfMetrics
    private var running: [String: Running] = [:]
    /// Last scrape result per target, for `/api/v1/targets` and the dashboard.
    public nonisolated let health = ScrapeHealthBoard()
    /// Metric metadata (HELP/TYPE/UNIT) of every target's last scrape, for remote write.
    public nonisolated let metadata = ScrapeMetadataBoard()

    /// - Parameters:
    ///   - client: an HTTP client to share; by default the manager creates (and shuts down) its own.
    ///   - registry: where scrape self-metrics go (`/metrics`).
    public init(store: MetricStore, logger: Logger = Logger(label: "kansoku.scrape"), client: HTTPClient? = nil,
                registry: MetricsRegistry = .shared) {
        self.store = store
        self.logger = logger
        if let client {
            self.client = client
            ownsClient = false
        } else {
            var config = HTTPClient.Configuration()
            config.decompression = .enabled(limit: .ratio(100))
            config.redirectConfiguration = .follow(max: 5, allowCycles: false)
            // A refused connection fails the scrape at once (up=0), as in Prometheus, instead
            // of being retried until the scrape timeout.
            config.connectionPool.retryConnectionEstablishment = false
            self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
            ownsClient = true
        }
        metrics = ScrapeSelfMetrics(registry: registry)
    }

    /// Makes the running loops match `config` (validated first; an invalid config changes nothing).
    public func apply(_ config: MetricsScrapeConfig) throws(ScrapeConfigError) {
        try config.validate()
        let wanted = Dictionary(ScrapeTarget.targets(from: config).map { ($0.url + "|" + $0.job, $0) },
                                uniquingKeysWith: { a, _ in a })
        for (key, r) in running where wanted[key] != r.target {
            r.control.markStaleOnExit.store(wanted[key] == nil, ordering: .relaxed)
            r.task.cancel()
            running[key] = nil
            health.remove(r.target)
            metadata.remove(r.target)
        }
        for (key, target) in wanted where running[key] == nil {
            start(target, key: key)
        }
        var perJob: [String: Int] = [:]
        for r in running.values { perJob[r.target.job, default: 0] += 1 }
        metrics.setTargets(perJob)
        logger.info("scrape targets applied", metadata: ["targets": "\(running.count)"])
    }

    private func start(_ target: ScrapeTarget, key: String) {
        let control = ScrapeLoopControl()
        health.register(target)
        let loop = ScrapeLoop(target: target, fetcher: ScrapeFetcher(client: client), store: store, board: health,
                              metadataBoard: metadata, metrics: metrics, control: control, logger: logger)
        let task = Task { await loop.run() }
        running[key] = Running(target: target, task: task, control: control, loop: loop)
    }

    /// Scrapes every target once, now, outside the schedule (tests, `kansoku` CLI checks).
    public func scrapeAllOnce() async {
        for r in running.values { await r.loop.scrapeOnce(time: ScrapeLoop.wallMillis()) }
    }

    /// Stops every loop and waits for them; shuts down the HTTP client if the manager made it.
    public func shutdown() async {
        let tasks = running.values.map(\.task)
        running.removeAll()
        for t in tasks { t.cancel() }
        for t in tasks { await t.value }
        if ownsClient { try? await client.shutdown() }
    }
}

/// The latest health of every target; readable from any thread.
public final class ScrapeHealthBoard: Sendable {
    private let state = Mutex<[String: TargetHealth]>([:])

    public init() {}

    public func all() -> [TargetHealth] {
        state.withLock { Array($0.values) }.sorted { ($0.job, $0.instance) < ($1.job, $1.instance) }
    }

    func register(_ t: ScrapeTarget) {
        state.withLock {
            $0[Self.key(t)] = TargetHealth(job: t.job, instance: t.instance, url: t.url, labels: t.labels.labels,
                                           interval: t.interval, timeout: t.timeout)
        }
    }

    func remove(_ t: ScrapeTarget) { _ = state.withLock { $0.removeValue(forKey: Self.key(t)) } }

    func update(_ t: ScrapeTarget, _ change: (inout TargetHealth) -> Void) {
        state.withLock { s in
            if var h = s[Self.key(t)] {
                change(&h)
                s[Self.key(t)] = h
            }
        }
    }

    private static func key(_ t: ScrapeTarget) -> String { t.job + "|" + t.url }
}
