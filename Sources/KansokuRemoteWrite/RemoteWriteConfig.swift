public import KansokuCore

/// Why a `metrics.remote_write` entry was refused.
public enum RemoteWriteConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let m): "invalid metrics.remote_write: \(m)" }
    }
}

/// One `metrics.remote_write` entry, with Prometheus's keys and defaults:
///
/// ```yaml
/// metrics:
///   remote_write:
///     - url: http://mimir:9009/api/v1/push
///       name: mimir                      # optional; labels the queue's metrics
///       remote_timeout: 30s
///       headers: { X-Scope-OrgID: team-a }
///       basic_auth: { username: u, password_file: /etc/secret }   # or bearer_token(_file)
///       queue_config: { max_samples_per_send: 500, max_shards: 200, min_backoff: 30ms }
///       metadata_config: { send: true, send_interval: 1m, max_samples_per_send: 2000 }
///       write_relabel_configs:
///         - { source_labels: [__name__], regex: "go_.*", action: drop }
/// ```
public struct RemoteWriteConfig: Decodable, Sendable, Hashable {
    public var url: String
    public var name: String?
    /// `remote_timeout` (Prometheus's key; `timeout` is accepted too).
    public var timeout: PromDuration
    public var headers: [String: String]
    public var basicAuth: BasicAuth?
    public var bearerToken: String?
    public var bearerTokenFile: String?
    public var queue: QueueConfig
    public var metadata: MetadataConfig
    public var writeRelabelConfigs: [RelabelConfig]

    public struct BasicAuth: Decodable, Sendable, Hashable {
        public var username: String
        public var password: String?
        public var passwordFile: String?

        enum CodingKeys: String, CodingKey { case username, password, passwordFile = "password_file" }
    }

    /// `queue_config`; defaults are Prometheus 2.42's.
    public struct QueueConfig: Decodable, Sendable, Hashable {
        public var capacity = 2500
        public var maxShards = 200
        public var minShards = 1
        public var maxSamplesPerSend = 500
        public var batchSendDeadline = PromDuration(milliseconds: 5_000)
        public var minBackoff = PromDuration(milliseconds: 30)
        public var maxBackoff = PromDuration(milliseconds: 5_000)
        public var retryOnHTTP429 = true

        public init() {}

        enum CodingKeys: String, CodingKey {
            case capacity, maxShards = "max_shards", minShards = "min_shards", maxSamplesPerSend = "max_samples_per_send"
            case batchSendDeadline = "batch_send_deadline", minBackoff = "min_backoff", maxBackoff = "max_backoff"
            case retryOnHTTP429 = "retry_on_http_429"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            capacity = try c.decodeIfPresent(Int.self, forKey: .capacity) ?? capacity
            maxShards = try c.decodeIfPresent(Int.self, forKey: .maxShards) ?? maxShards
            minShards = try c.decodeIfPresent(Int.self, forKey: .minShards) ?? minShards
            maxSamplesPerSend = try c.decodeIfPresent(Int.self, forKey: .maxSamplesPerSend) ?? maxSamplesPerSend
            batchSendDeadline = try c.duration(.batchSendDeadline) ?? batchSendDeadline
            minBackoff = try c.duration(.minBackoff) ?? minBackoff
            maxBackoff = try c.duration(.maxBackoff) ?? maxBackoff
            retryOnHTTP429 = try c.decodeIfPresent(Bool.self, forKey: .retryOnHTTP429) ?? retryOnHTTP429
        }
    }

    /// `metadata_config`: metric metadata (type, help, unit) from the scrapes, sent on its own
    /// every `send_interval` as Prometheus does; defaults are Prometheus 2.42's.
    public struct MetadataConfig: Decodable, Sendable, Hashable {
        public var send = true
        public var sendInterval = PromDuration(milliseconds: 60_000)
        public var maxSamplesPerSend = 2000

        public init() {}

        enum CodingKeys: String, CodingKey {
            case send, sendInterval = "send_interval", maxSamplesPerSend = "max_samples_per_send"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            send = try c.decodeIfPresent(Bool.self, forKey: .send) ?? send
            sendInterval = try c.duration(.sendInterval) ?? sendInterval
            maxSamplesPerSend = try c.decodeIfPresent(Int.self, forKey: .maxSamplesPerSend) ?? maxSamplesPerSend
        }
    }

    public init(url: String, name: String? = nil) {
        self.url = url
        self.name = name
        timeout = PromDuration(milliseconds: 30_000)
        headers = [:]
        queue = QueueConfig()
        metadata = MetadataConfig()
        writeRelabelConfigs = []
    }

    enum CodingKeys: String, CodingKey {
        case url, name, remoteTimeout = "remote_timeout", timeout, headers, basicAuth = "basic_auth"
        case bearerToken = "bearer_token", bearerTokenFile = "bearer_token_file", queue = "queue_config"
        case metadata = "metadata_config"
        case writeRelabelConfigs = "write_relabel_configs"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        url = try c.decode(String.self, forKey: .url)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        timeout = try c.duration(.remoteTimeout) ?? c.duration(.timeout) ?? PromDuration(milliseconds: 30_000)
        headers = try c.decodeIfPresent([String: String].self, forKey: .headers) ?? [:]
        basicAuth = try c.decodeIfPresent(BasicAuth.self, forKey: .basicAuth)
        bearerToken = try c.decodeIfPresent(String.self, forKey: .bearerToken)
        bearerTokenFile = try c.decodeIfPresent(String.self, forKey: .bearerTokenFile)
        queue = try c.decodeIfPresent(QueueConfig.self, forKey: .queue) ?? QueueConfig()
        metadata = try c.decodeIfPresent(MetadataConfig.self, forKey: .metadata) ?? MetadataConfig()
        writeRelabelConfigs = try c.decodeIfPresent([RelabelConfig].self, forKey: .writeRelabelConfigs) ?? []
    }

    /// The queue's name in metrics and on disk: `name`, else a hash of the URL (as Prometheus
    /// names unnamed queues by a hash of their configuration).
    public var queueName: String {
        if let name, !name.isEmpty { return name }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in url.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Checks what decoding cannot; the headers Prometheus reserves for itself are refused.
    public func validate() throws(RemoteWriteConfigError) {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw .invalid("url must be an http(s) URL, got \"\(url)\"")
        }
        if let name, name.isEmpty || name.contains("/") || name.hasPrefix(".") {
            throw .invalid("name \"\(name)\" must be non-empty, without \"/\" and not start with \".\"")
        }
        guard timeout.milliseconds > 0 else { throw .invalid("remote_timeout must be positive") }
        let q = queue
        guard q.maxSamplesPerSend > 0, q.maxSamplesPerSend <= 1_000_000 else {
            throw .invalid("queue_config.max_samples_per_send must be in 1...1000000")
        }
        guard q.minShards >= 1, q.maxShards >= q.minShards, q.maxShards <= 1_000 else {
            throw .invalid("queue_config needs 1 <= min_shards <= max_shards <= 1000")
        }
        guard q.capacity > 0 else { throw .invalid("queue_config.capacity must be positive") }
        guard q.minBackoff.milliseconds > 0, q.maxBackoff.milliseconds >= q.minBackoff.milliseconds else {
            throw .invalid("queue_config needs 0 < min_backoff <= max_backoff")
        }
        guard q.batchSendDeadline.milliseconds > 0 else { throw .invalid("queue_config.batch_send_deadline must be positive") }
        guard metadata.sendInterval.milliseconds > 0 else { throw .invalid("metadata_config.send_interval must be positive") }
        guard metadata.maxSamplesPerSend > 0, metadata.maxSamplesPerSend <= 1_000_000 else {
            throw .invalid("metadata_config.max_samples_per_send must be in 1...1000000")
        }
        let reserved: Set<String> = ["host", "authorization", "content-encoding", "content-type",
                                     "x-prometheus-remote-write-version", "user-agent", "connection", "keep-alive",
                                     "proxy-authenticate", "proxy-authorization", "www-authenticate"]
        for k in headers.keys where reserved.contains(k.lowercased()) {
            throw .invalid("header \"\(k)\" is set by Kansoku and cannot be configured")
        }
        let auths = [basicAuth != nil, bearerToken != nil, bearerTokenFile != nil].filter { $0 }.count
        guard auths <= 1 else { throw .invalid("at most one of basic_auth, bearer_token and bearer_token_file may be set") }
        if let b = basicAuth, b.password != nil && b.passwordFile != nil {
            throw .invalid("basic_auth: at most one of password and password_file may be set")
        }
    }
}

extension KeyedDecodingContainer {
    /// A Prometheus duration (`30s`, `1m30s`) or a number of seconds.
    func duration(_ key: Key) throws -> PromDuration? {
        if let text = try? decodeIfPresent(String.self, forKey: key) {
            guard let d = PromDuration(durationOrSeconds: text), d.milliseconds >= 0 else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self,
                                                       debugDescription: "\"\(text)\" is not a duration like 30s or 1m30s")
            }
            return d
        }
        if let seconds = try decodeIfPresent(Double.self, forKey: key) { return PromDuration(seconds: seconds) }
        return nil
    }
}
