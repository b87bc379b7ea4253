public import KansokuCore

/// The `metrics:` section of `kansoku.yaml`.
///
/// ```yaml
/// metrics:
///   scrape_interval: 15s
///   scrape_timeout: 10s
///   targets:
///     - job: app
///       targets: ["127.0.0.1:8080"]
///       interval: 30s            # optional, defaults to scrape_interval
///       timeout: 5s              # optional, defaults to scrape_timeout (capped at interval)
///       metrics_path: /metrics
///       scheme: http
///       honor_labels: false
///       honor_timestamps: true
///       labels: { env: prod }
///       tenant: team-a           # with server.tenancy on; default: the default tenant
/// ```
public struct MetricsScrapeConfig: Decodable, Sendable, Hashable {
    public var scrapeInterval: PromDuration
    public var scrapeTimeout: PromDuration
    public var targets: [ScrapeTargetConfig]

    public static let defaultInterval = PromDuration(milliseconds: 15_000)
    public static let defaultTimeout = PromDuration(milliseconds: 10_000)

    public init(scrapeInterval: PromDuration = defaultInterval, scrapeTimeout: PromDuration = defaultTimeout,
                targets: [ScrapeTargetConfig] = []) {
        self.scrapeInterval = scrapeInterval
        self.scrapeTimeout = scrapeTimeout
        self.targets = targets
    }

    enum CodingKeys: String, CodingKey {
        case scrapeInterval = "scrape_interval", scrapeTimeout = "scrape_timeout", targets
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        scrapeInterval = try c.decodeDuration(.scrapeInterval) ?? Self.defaultInterval
        scrapeTimeout = try c.decodeDuration(.scrapeTimeout) ?? Self.defaultTimeout
        targets = try c.decodeIfPresent([ScrapeTargetConfig].self, forKey: .targets) ?? []
    }

    /// Checks what decoding cannot: positive durations, unique job names, valid label names,
    /// `host:port` targets. Errors name the job.
    public func validate() throws(ScrapeConfigError) {
        guard scrapeInterval.milliseconds > 0 else { throw .invalid("metrics.scrape_interval must be positive") }
        guard scrapeTimeout.milliseconds > 0 else { throw .invalid("metrics.scrape_timeout must be positive") }
        var jobs: Set<String> = []
        for t in targets {
            guard !t.job.isEmpty else { throw .invalid("metrics.targets: every entry needs a job name") }
            guard jobs.insert(t.job).inserted else { throw .invalid("metrics.targets: job \"\(t.job)\" is defined twice") }
            if let i = t.interval, i.milliseconds <= 0 { throw .invalid("job \(t.job): interval must be positive") }
            if let i = t.timeout, i.milliseconds <= 0 { throw .invalid("job \(t.job): timeout must be positive") }
            guard t.scheme == "http" || t.scheme == "https" else {
                throw .invalid("job \(t.job): scheme must be http or https, got \"\(t.scheme)\"")
            }
            guard t.metricsPath.hasPrefix("/") else {
                throw .invalid("job \(t.job): metrics_path must start with \"/\", got \"\(t.metricsPath)\"")
            }
            for name in t.labels.keys where !isValidLabelName(name) || name.hasPrefix("__") {
                throw .invalid("job \(t.job): invalid label name \"\(name)\"")
            }
            for address in t.targets {
                guard let colon = address.lastIndex(of: ":"), !address[..<colon].isEmpty,
                      let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port) else {
                    throw .invalid("job \(t.job): target \"\(address)\" is not host:port")
                }
            }
        }
    }
}

/// One `metrics.targets` entry: a job and the addresses it scrapes.
public struct ScrapeTargetConfig: Decodable, Sendable, Hashable {
    public var job: String
    public var targets: [String]
    public var interval: PromDuration?
    public var timeout: PromDuration?
    public var metricsPath: String
    public var scheme: String
    /// Keep the exposition's labels when they clash with target labels (else they become `exported_*`).
    public var honorLabels: Bool
    /// Use timestamps the exposition carries (else every sample gets the scrape time).
    public var honorTimestamps: Bool
    /// Static labels added to every series of this job.
    public var labels: [String: String]
    /// With `server.tenancy` on, the tenant this job's series are stored for (`__tenant__`,
    /// see `MetricTenancy`); the server sets the default tenant where the config names none.
    public var tenant: String?

    public init(job: String, targets: [String], interval: PromDuration? = nil, timeout: PromDuration? = nil,
                metricsPath: String = "/metrics", scheme: String = "http", honorLabels: Bool = false,
                honorTimestamps: Bool = true, labels: [String: String] = [:], tenant: String? = nil) {
        self.job = job
        self.targets = targets
        self.interval = interval
        self.timeout = timeout
        self.metricsPath = metricsPath
        self.scheme = scheme
        self.honorLabels = honorLabels
        self.honorTimestamps = honorTimestamps
        self.labels = labels
        self.tenant = tenant
    }

    enum CodingKeys: String, CodingKey {
        case job, jobName = "job_name", targets, interval, scrapeInterval = "scrape_interval", timeout,
             scrapeTimeout = "scrape_timeout", metricsPath = "metrics_path", scheme, honorLabels = "honor_labels",
             honorTimestamps = "honor_timestamps", labels, tenant
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard let job = try c.decodeIfPresent(String.self, forKey: .job) ?? c.decodeIfPresent(String.self, forKey: .jobName) else {
            throw DecodingError.keyNotFound(CodingKeys.job, .init(codingPath: c.codingPath, debugDescription: "every metrics target needs a job"))
        }
        self.job = job
        targets = try c.decodeIfPresent([String].self, forKey: .targets) ?? []
        interval = try c.decodeDuration(.interval) ?? c.decodeDuration(.scrapeInterval)
        timeout = try c.decodeDuration(.timeout) ?? c.decodeDuration(.scrapeTimeout)
        metricsPath = try c.decodeIfPresent(String.self, forKey: .metricsPath) ?? "/metrics"
        scheme = try c.decodeIfPresent(String.self, forKey: .scheme) ?? "http"
        honorLabels = try c.decodeIfPresent(Bool.self, forKey: .honorLabels) ?? false
        honorTimestamps = try c.decodeIfPresent(Bool.self, forKey: .honorTimestamps) ?? true
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        tenant = try c.decodeIfPresent(String.self, forKey: .tenant)
    }
}

public enum ScrapeConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self { case .invalid(let m): "invalid metrics config: \(m)" }
    }
}

extension KeyedDecodingContainer {
    /// A Prometheus duration (`15s`, `1m30s`) or a number of seconds.
    func decodeDuration(_ key: Key) throws -> PromDuration? {
        if let text = try? decodeIfPresent(String.self, forKey: key) {
            guard let d = PromDuration(durationOrSeconds: text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self,
                                                       debugDescription: "\"\(text)\" is not a duration like 15s or 1m30s")
            }
            return d
        }
        if let seconds = try decodeIfPresent(Double.self, forKey: key) { return PromDuration(seconds: seconds) }
        return nil
    }
}
