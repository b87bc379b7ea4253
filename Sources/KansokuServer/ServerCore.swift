import Foundation
import Hummingbird
import HummingbirdWebSocket
import KansokuCore
import KansokuLogQL
import KansokuLogStore
import KansokuMetricStore
import KansokuPromQL
import Logging
import ServiceLifecycle

/// Everything a server holds: the two stores, their query engines, the background loops and
/// the self-metrics. Opening it replays both WALs.
final class ServerCore: Sendable {
    let config: KansokuConfig
    let logger: Logger
    let logStore: LogStore
    let metricStore: MetricStore
    let logQL: LogQLEngine
    let promQL: PromQLEngine
    let metrics: ServerMetrics
    let loops: BackgroundLoops
    let lock: DataDirectoryLock
    let shipping: LogShipping?
    let querier: QuerierRuntime?

    private init(config: KansokuConfig, logger: Logger, logStore: LogStore, logQL: LogQLEngine, metricStore: MetricStore,
                 loops: BackgroundLoops, metrics: ServerMetrics, lock: DataDirectoryLock, shipping: LogShipping?,
                 querier: QuerierRuntime?) {
        self.lock = lock
        self.shipping = shipping
        self.querier = querier
        self.config = config
        self.logger = logger
        self.logStore = logStore
        self.metricStore = metricStore
        self.logQL = logQL
        promQL = config.query.engine(queryable: metricStore)
        self.metrics = metrics
        self.loops = loops
    }

    static func open(config: KansokuConfig, logger: Logger) async throws -> ServerCore {
        let root = config.storage.path
        let retention = try config.storage.retentionDuration()
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let lock = try DataDirectoryLock(directory: root)
        let logStore = try LogStore.open(
            LogStoreConfig(directory: root + "/logs", retention: retention.nanoseconds, fsync: logFsync(config.storage.fsync),
                           blockSize: try config.storage.chunkBlockBytes()),
            logger: logger)
        let metricStore = try MetricStore.open(
            MetricStoreConfig(directory: root + "/metrics", retention: retention.milliseconds, fsync: metricFsync(config.storage.fsync)),
            logger: logger)
        let shipping = config.target == .querier ? nil : try LogShipping.make(config: config, logStore: logStore, logger: logger)
        let querier = config.target == .querier
            ? try QuerierRuntime.make(config: config, bearerToken: try bearerToken(config), logger: logger) : nil
        let metrics = ServerMetrics()
        // A querier's log queries (the API's and the rules') read the bucket and the ingesters;
        // its own store stays empty.
        let logQL = querier.map { LogQLEngine(reader: $0.reader) } ?? LogQLEngine(store: logStore)
        let loops = try await BackgroundLoops.make(config: config, logStore: logStore, logQL: logQL, metricStore: metricStore,
                                                   metrics: metrics, logger: logger)
        return ServerCore(config: config, logger: logger, logStore: logStore, logQL: logQL, metricStore: metricStore,
                          loops: loops, metrics: metrics, lock: lock, shipping: shipping, querier: querier)
    }

    static func logFsync(_ s: String) throws -> KansokuLogStore.FsyncMode {
        guard let m = KansokuLogStore.FsyncMode(rawValue: s) else {
            throw ConfigError.invalid(key: "storage.fsync", reason: "expected batch, always or never, got \"\(s)\"")
        }
        return m
    }

    static func metricFsync(_ s: String) throws -> KansokuMetricStore.FsyncMode {
        // The metric WAL always group-commits; `always` is as durable as `batch` there.
        guard let m = KansokuMetricStore.FsyncMode(rawValue: s == "always" ? "batch" : s) else {
            throw ConfigError.invalid(key: "storage.fsync", reason: "expected batch, always or never, got \"\(s)\"")
        }
        return m
    }

    func bearerToken() throws -> String? { try Self.bearerToken(config) }

    static func bearerToken(_ config: KansokuConfig) throws -> String? {
        guard let file = config.server.bearerTokenFile else { return nil }
        guard let t = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ConfigError.unreadable(path: file, reason: "cannot read server.bearer_token_file")
        }
        return t.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The tenants' credentials, when tenancy is on and `server.tenants` lists any.
    func tenantAuthenticator() throws -> TenantAuthenticator? {
        guard config.server.tenancy, let tenants = config.server.tenants, !tenants.isEmpty else {
            if !config.server.tenancy, config.server.tenants?.isEmpty == false {
                throw ConfigError.invalid(key: "server.tenants", reason: "tenants are listed but server.tenancy is false")
            }
            return nil
        }
        return try TenantAuthenticator.load(tenants)
    }

    func registerRoutes(on router: Router<KansokuRequestContext>) {
        router.get("/ready") { _, _ in Response.text("ready\n") }
        router.get("/healthz") { _, _ in Response.text("ok\n") }
        // Prometheus's probe paths and its root, which clients such as prometheus-api-client
        // use as a connection check.
        router.get("/-/ready") { _, _ in Response.text("Kansoku is Ready.\n") }
        router.get("/-/healthy") { _, _ in Response.text("Kansoku is Healthy.\n") }
        router.get("/") { _, _ in
            Response.text("Kansoku \(KansokuVersion.string): Loki API under /loki/api/v1, Prometheus API under /api/v1, metrics at /metrics\n")
        }
        // Loki's ingester endpoint: cut every head, write every chunk, drop the WAL they covered.
        // An ingester also ships what the flush wrote, so the bucket then holds everything;
        // what fails to upload (a bucket outage) is retried by the next pass, as always.
        router.post("/flush") { [logStore, shipping] _, _ in
            await logStore.flush()
            await shipping?.pass()
            return Response(status: .noContent)
        }
        UnshippedAPI(store: logStore, settings: config.server, ingesterPath: shipping?.ingesterPath).register(on: router)
        router.get("/metrics") { _, _ in
            Response.text(await self.renderMetrics(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        LokiAPI(store: logStore, engine: logQL, settings: config.server, limits: config.tenantLimits, metrics: metrics, logger: logger).register(on: router)
        LokiTail(store: logStore, engine: logQL, settings: config.server, limits: config.tenantLimits,
                 tenants: (try? tenantAuthenticator()) ?? nil, logger: logger).register(on: router)
        PrometheusAPI(store: metricStore, engine: promQL, settings: config.server, rules: loops.rulesAPI).register(on: router)
        OTLPMetricsAPI(store: metricStore, settings: config.server, logger: logger).register(on: router)
        RemoteWriteAPI(store: metricStore, settings: config.server, limits: config.limits, logger: logger).register(on: router)
        TargetsAPI(board: loops.scrape?.manager.health).register(on: router)
    }

    func backgroundServices() -> [any Service] {
        var services = loops.services()
        // Housekeeping: aged chunks closed and freed memory given back every 30 s; retention,
        // then compaction of small chunks, every 5 minutes.
        services.append(TaskService("log-maintenance") { [logStore, logger] in
            var rounds = 0
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(30))
                await logStore.maintain()
                rounds += 1
                if rounds % 10 == 0 {
                    do { try logStore.applyRetention(now: TimeParser.currentNanos()) } catch {
                        logger.error("log retention failed", metadata: ["error": "\(error)"])
                    }
                    // Compaction gives its freed memory back itself.
                    do { _ = try await logStore.compact() } catch {
                        logger.error("log compaction failed", metadata: ["error": "\(error)"])
                    }
                } else {
                    MemoryTuning.releaseFreeMemory()
                }
            }
        })
        if let shipping { services.append(TaskService("log-shipping") { try await shipping.run() }) }
        if let querier { services.append(TaskService("querier-index") { try await querier.bucket.run(interval: querier.refreshInterval) }) }
        return services
    }

    func close() async throws {
        await loops.shutdown()
        try await logStore.close()
        // What closing flushed into chunks goes to the bucket now rather than at next start.
        await shipping?.pass()
        try await metricStore.close()
    }
}
