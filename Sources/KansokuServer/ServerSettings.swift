public import KansokuCore

/// The `server:` section of kansoku.yaml.
public struct ServerSettings: Codable, Sendable {
    /// `host:port` to bind; loopback by default so nothing is exposed by accident.
    public var listen: String = "127.0.0.1:3100"
    /// When true, `X-Scope-OrgID` selects the tenant and is required; otherwise every
    /// request is tenant `fake`, as Loki does with auth disabled.
    public var tenancy: Bool = false
    /// A file holding the bearer token every request must present (none when nil).
    public var bearerTokenFile: String?
    /// With tenancy on: each tenant and the credentials that act as it (`TenantCredentialSettings`).
    public var tenants: [TenantCredentialSettings]?
    /// The largest request body accepted (pushes, forms); larger ones get 413 unread.
    public var maxRequestBytes: Int = 64 << 20
    /// The largest a compressed push body may inflate to (gzip, deflate, snappy).
    public var maxDecompressedBytes: Int = 256 << 20
    /// The most log lines one query may return (Loki's max_entries_limit_per_query).
    public var maxEntriesLimit: Int = 5000
    /// The most points a range query may produce per series (Prometheus's 11,000).
    public var maxPointsPerSeries: Int = 11_000

    public init() {}

    enum CodingKeys: String, CodingKey {
        case listen, tenancy
        case bearerTokenFile = "bearer_token_file"
        case tenants
        case maxRequestBytes = "max_request_bytes"
        case maxDecompressedBytes = "max_decompressed_bytes"
        case maxEntriesLimit = "max_entries_limit"
        case maxPointsPerSeries = "max_points_per_series"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        listen = try c.decodeIfPresent(String.self, forKey: .listen) ?? listen
        tenancy = try c.decodeIfPresent(Bool.self, forKey: .tenancy) ?? tenancy
        bearerTokenFile = try c.decodeIfPresent(String.self, forKey: .bearerTokenFile)
        tenants = try c.decodeIfPresent([TenantCredentialSettings].self, forKey: .tenants)
        maxRequestBytes = try c.decodeIfPresent(Int.self, forKey: .maxRequestBytes) ?? maxRequestBytes
        maxDecompressedBytes = try c.decodeIfPresent(Int.self, forKey: .maxDecompressedBytes) ?? maxDecompressedBytes
        maxEntriesLimit = try c.decodeIfPresent(Int.self, forKey: .maxEntriesLimit) ?? maxEntriesLimit
        maxPointsPerSeries = try c.decodeIfPresent(Int.self, forKey: .maxPointsPerSeries) ?? maxPointsPerSeries
    }

    /// The host and port of `listen`.
    public func hostAndPort() throws(ConfigError) -> (String, Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
              (0...65535).contains(port) else {
            throw ConfigError.invalid(key: "server.listen", reason: "expected host:port, got \"\(listen)\"")
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "0.0.0.0" : host, port)
    }
}

/// The `storage:` section.
public struct StorageSettings: Codable, Sendable {
    /// The data directory; logs under `logs/`, metrics under `metrics/`, notifications under `notify/`.
    public var path: String = "./data"
    /// How long data is kept (Prometheus duration).
    public var retention: String = "720h"
    /// `batch` (group commit), `always` (fsync every write) or `never` (tests only).
    public var fsync: String = "batch"
    /// Where ingesters ship log chunks and indexes (none: local disk only).
    public var objectStore: ObjectStoreSettings?
    /// Raw line bytes per compressed log block (Loki's `chunk_block_size`). Smaller blocks
    /// make a querier fetch less from a bucket for a rare string, at some compression cost.
    public var chunkBlockSize: String = "256KiB"

    public init() {}

    enum CodingKeys: String, CodingKey {
        case path, retention, fsync
        case objectStore = "object_store"
        case chunkBlockSize = "chunk_block_size"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decodeIfPresent(String.self, forKey: .path) ?? path
        retention = try c.decodeIfPresent(String.self, forKey: .retention) ?? retention
        fsync = try c.decodeIfPresent(String.self, forKey: .fsync) ?? fsync
        objectStore = try c.decodeIfPresent(ObjectStoreSettings.self, forKey: .objectStore)
        chunkBlockSize = try c.decodeIfPresent(String.self, forKey: .chunkBlockSize) ?? chunkBlockSize
    }

    /// `chunk_block_size` in bytes, 4 KiB to 16 MiB.
    public func chunkBlockBytes() throws(ConfigError) -> Int {
        guard let v = ByteSize.parse(chunkBlockSize), v >= 4 << 10, v <= 16 << 20 else {
            throw ConfigError.invalid(key: "storage.chunk_block_size", reason: "expected a size from 4KiB to 16MiB, such as 256KiB, got \"\(chunkBlockSize)\"")
        }
        return Int(v)
    }

    public func retentionDuration() throws(ConfigError) -> PromDuration {
        guard let d = PromDuration(retention) else {
            throw ConfigError.invalid(key: "storage.retention", reason: "expected a duration such as 720h, got \"\(retention)\"")
        }
        return d
    }
}

/// A configuration file that cannot be used.
public enum ConfigError: Error, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case syntax(path: String, line: Int, column: Int, reason: String)
    case invalid(key: String, reason: String)
    /// Keys no setting reads, each with where it is and the key it most likely meant.
    case unknownKeys([UnknownYAMLKey])

    public var description: String {
        switch self {
        case .unknownKeys(let keys): return keys.map(\.description).joined(separator: "\n")
        case .unreadable(let p, let r): return "\(p): \(r)"
        case .syntax(let p, let l, let c, let r): return "\(p):\(l):\(c): \(r)"
        case .invalid(let k, let r): return "invalid \(k): \(r)"
        }
    }
}
