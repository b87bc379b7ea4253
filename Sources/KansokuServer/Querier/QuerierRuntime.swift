import Foundation
import KansokuCore
import KansokuObjectStore
import Logging

/// What `--target querier` runs: the bucket's index cache with its refresh loop, the block
/// fetcher and its disk cache, and the reader the query engine uses.
struct QuerierRuntime: Sendable {
    let reader: QuerierLogReader
    let bucket: BucketIndex
    let fetcher: RangeFetcher
    let refreshInterval: Duration

    static func make(config: KansokuConfig, bearerToken: String?, logger: Logger) throws -> QuerierRuntime {
        guard let settings = config.storage.objectStore else {
            throw ConfigError.invalid(key: "storage.object_store", reason: "--target querier needs the object store the ingesters ship to")
        }
        let cluster = config.cluster
        guard let refresh = PromDuration(cluster.indexRefreshInterval), refresh.milliseconds >= 1000 else {
            throw ConfigError.invalid(key: "cluster.index_refresh_interval", reason: "expected a duration of at least 1s, got \"\(cluster.indexRefreshInterval)\"")
        }
        guard let timeout = PromDuration(cluster.ingesterTimeout), timeout.milliseconds > 0 else {
            throw ConfigError.invalid(key: "cluster.ingester_timeout", reason: "expected a duration such as 10s, got \"\(cluster.ingesterTimeout)\"")
        }
        guard let cacheBytes = ByteSize.parse(cluster.cacheSize), cacheBytes >= 1 << 20, cacheBytes <= 1 << 50 else {
            throw ConfigError.invalid(key: "cluster.cache_size", reason: "expected a size from 1MiB, such as 10GiB, got \"\(cluster.cacheSize)\"")
        }
        guard (1...256).contains(cluster.fetchConcurrency) else {
            throw ConfigError.invalid(key: "cluster.fetch_concurrency", reason: "expected 1 to 256, got \(cluster.fetchConcurrency)")
        }
        for url in cluster.ingesters {
            guard let u = URL(string: url), u.scheme == "http" || u.scheme == "https", u.host != nil else {
                throw ConfigError.invalid(key: "cluster.ingesters", reason: "expected http://host:port, got \"\(url)\"")
            }
        }
        let store = try settings.makeStore()
        let cache: BlockCache
        do { cache = try BlockCache(directory: config.storage.path + "/querier-cache", capacity: Int(cacheBytes)) } catch {
            throw ConfigError.unreadable(path: config.storage.path + "/querier-cache", reason: "\(error)")
        }
        let bucket = BucketIndex(store: store, logger: logger)
        let fetcher = RangeFetcher(store: store, cache: cache, concurrency: cluster.fetchConcurrency)
        let ingesters = IngesterClient(ingesters: cluster.ingesters.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 },
                                       timeout: .milliseconds(timeout.milliseconds), bearerToken: bearerToken)
        logger.info("querying the object store", metadata: ["backend": "\(settings.backend)", "ingesters": "\(cluster.ingesters.count)"])
        return QuerierRuntime(reader: QuerierLogReader(bucket: bucket, fetcher: fetcher, ingesters: ingesters),
                              bucket: bucket, fetcher: fetcher, refreshInterval: .milliseconds(refresh.milliseconds))
    }

    func renderMetrics() -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ value: Int) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        metric("kansoku_querier_bucket_bytes_fetched_total", "counter", "Bytes fetched from the object store by ranged GETs.",
               fetcher.bucketBytes.load(ordering: .relaxed))
        let byKind = fetcher.bytesByKind.withLock { $0 }
        out += "# HELP kansoku_querier_bucket_bytes_fetched_by_kind_total Bytes fetched from the object store by ranged GETs, by what they were for.\n"
        out += "# TYPE kansoku_querier_bucket_bytes_fetched_by_kind_total counter\n"
        for kind in FetchKind.allCases {
            out += "kansoku_querier_bucket_bytes_fetched_by_kind_total{kind=\"\(kind.name)\"} \(byKind[kind.rawValue])\n"
        }
        metric("kansoku_querier_index_bytes_fetched_total", "counter", "Bytes of period indexes fetched whole from the object store.",
               bucket.indexBytesFetched.load(ordering: .relaxed))
        metric("kansoku_querier_bucket_requests_total", "counter", "Ranged GETs sent to the object store.",
               fetcher.bucketRequests.load(ordering: .relaxed))
        metric("kansoku_querier_cache_hits_total", "counter", "Ranges read from the local disk cache instead of the object store.",
               fetcher.cacheHits.load(ordering: .relaxed))
        metric("kansoku_querier_cache_bytes", "gauge", "Bytes held by the local disk cache.", fetcher.cache.size)
        let snapshots = bucket.all.values
        metric("kansoku_querier_index_listed_timestamp_seconds", "gauge", "When the bucket's indexes were last listed (the least recently listed tenant's).",
               Int((snapshots.map(\.listedAt).min() ?? 0) / 1_000_000_000))
        metric("kansoku_querier_index_sources", "gauge", "Ingester incarnations with indexes in the bucket, summed over the tenants listed.",
               snapshots.reduce(0) { $0 + $1.sources.count })
        return out
    }
}
