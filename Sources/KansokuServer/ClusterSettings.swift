public import KansokuCore

/// `kansoku server --target`: which part of the system this process is (Loki's names).
public enum ServerTarget: String, Sendable, CaseIterable {
    /// Everything in one process, on local disk (the default).
    case all
    /// Takes pushes and tails files, keeps the WAL and heads locally, and ships sealed
    /// chunk segments and indexes to `storage.object_store`.
    case ingester
    /// Stateless: answers queries from the bucket's indexes and blocks and from the
    /// ingesters' data not yet shipped.
    case querier
}

/// The `cluster:` section: this node's name and how often it ships to the bucket.
public struct ClusterSettings: Codable, Sendable {
    /// This ingester's name: its objects live under `logs/<tenant>/<ingester_id>/`. Must be unique
    /// among the ingesters sharing a bucket.
    public var ingesterID: String?
    /// How often sealed segments and indexes go to the bucket (Prometheus duration).
    public var uploadInterval: String = "30s"
    /// A querier's ingesters (`http://host:port`), asked for data not yet in the bucket.
    public var ingesters: [String] = []
    /// How often a querier lists the bucket for new indexes.
    public var indexRefreshInterval: String = "15s"
    /// A querier's disk cache of fetched blocks (bytes, e.g. `10GiB`), under the data directory.
    public var cacheSize: String = "1GiB"
    /// Ranged GETs a querier runs at once.
    public var fetchConcurrency: Int = 16
    /// How long a querier waits for an ingester's answer.
    public var ingesterTimeout: String = "10s"

    public init() {}

    enum CodingKeys: String, CodingKey {
        case ingesters
        case ingesterID = "ingester_id"
        case uploadInterval = "upload_interval"
        case indexRefreshInterval = "index_refresh_interval"
        case cacheSize = "cache_size"
        case fetchConcurrency = "fetch_concurrency"
        case ingesterTimeout = "ingester_timeout"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ingesterID = try c.decodeIfPresent(String.self, forKey: .ingesterID)
        uploadInterval = try c.decodeIfPresent(String.self, forKey: .uploadInterval) ?? uploadInterval
        ingesters = try c.decodeIfPresent([String].self, forKey: .ingesters) ?? ingesters
        indexRefreshInterval = try c.decodeIfPresent(String.self, forKey: .indexRefreshInterval) ?? indexRefreshInterval
        cacheSize = try c.decodeIfPresent(String.self, forKey: .cacheSize) ?? cacheSize
        fetchConcurrency = try c.decodeIfPresent(Int.self, forKey: .fetchConcurrency) ?? fetchConcurrency
        ingesterTimeout = try c.decodeIfPresent(String.self, forKey: .ingesterTimeout) ?? ingesterTimeout
    }

    /// The ingester id, checked: what a key segment can hold safely.
    public func checkedIngesterID(default fallback: String) throws(ConfigError) -> String {
        let id = ingesterID ?? fallback
        let allowed = id.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F || b == 0x2E
        }
        guard !id.isEmpty, id.utf8.count <= 128, allowed, id != ".", id != ".." else {
            throw ConfigError.invalid(key: "cluster.ingester_id", reason: "expected 1-128 letters, digits, '-', '_' or '.', got \"\(id)\"")
        }
        return id
    }

    public func uploadIntervalDuration() throws(ConfigError) -> PromDuration {
        guard let d = PromDuration(uploadInterval), d.milliseconds >= 1000 else {
            throw ConfigError.invalid(key: "cluster.upload_interval", reason: "expected a duration of at least 1s, got \"\(uploadInterval)\"")
        }
        return d
    }
}
