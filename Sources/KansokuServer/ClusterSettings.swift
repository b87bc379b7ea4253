public import KansokuCore

/// `kansoku server --target`: which part of the system this process is (Loki's names).
public enum ServerTarget: String, Sendable, CaseIterable {
    /// Everything in one process, on local disk (the default).
    case all
    /// Takes pushes and tails files, keeps the WAL and heads locally, and ships sealed
    /// chunk segments and indexes to `storage.object_store`.
    case ingester
}

/// The `cluster:` section: this node's name and how often it ships to the bucket.
public struct ClusterSettings: Codable, Sendable {
    /// This ingester's name: its objects live under `logs/<ingester_id>/`. Must be unique
    /// among the ingesters sharing a bucket.
    public var ingesterID: String?
    /// How often sealed segments and indexes go to the bucket (Prometheus duration).
    public var uploadInterval: String = "30s"

    public init() {}

    enum CodingKeys: String, CodingKey {
        case ingesterID = "ingester_id"
        case uploadInterval = "upload_interval"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        ingesterID = try c.decodeIfPresent(String.self, forKey: .ingesterID)
        uploadInterval = try c.decodeIfPresent(String.self, forKey: .uploadInterval) ?? uploadInterval
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
