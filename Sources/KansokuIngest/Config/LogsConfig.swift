/// The `logs` section of `kansoku.yaml`: file tailing in a shape Promtail users know. Every key
/// is optional.
///
/// ```yaml
/// logs:
///   positions_file: ./data/positions.yaml   # default: <data dir>/positions.yaml
///   poll_interval: 1s                       # how often globs are re-expanded and files polled
///   batch_size: 4MiB                        # most line bytes per store append
///   partial_line_timeout: 5s                # an unterminated last line is stored after this
///   targets:
///     - paths: ["/var/log/nginx/*.log"]
///       exclude: ["/var/log/nginx/debug*.log"]
///       labels: { app: nginx, env: prod }
///       pipeline:
///         - regex: '^(?P<ip>\S+) .* \[(?P<time>[^\]]+)\] "(?P<method>\S+)'
///         - labels: [method]
///         - timestamp: { source: time, format: "02/Jan/2006:15:04:05 -0700" }
/// ```
public struct LogsConfig: Decodable, Sendable, Hashable {
    public var targets: [LogTargetConfig]?
    public var positionsFile: String?
    public var pollInterval: String?
    public var batchSize: String?
    public var partialLineTimeout: String?

    public init(targets: [LogTargetConfig]? = nil, positionsFile: String? = nil, pollInterval: String? = nil,
                batchSize: String? = nil, partialLineTimeout: String? = nil) {
        self.targets = targets
        self.positionsFile = positionsFile
        self.pollInterval = pollInterval
        self.batchSize = batchSize
        self.partialLineTimeout = partialLineTimeout
    }

    enum CodingKeys: String, CodingKey {
        case targets
        case positionsFile = "positions_file"
        case pollInterval = "poll_interval"
        case batchSize = "batch_size"
        case partialLineTimeout = "partial_line_timeout"
    }
}

/// One tailing target: which files, which static labels, which pipeline.
public struct LogTargetConfig: Decodable, Sendable, Hashable {
    /// Glob patterns (`*`, `?`, `[...]`, and `**` for any depth of directories).
    public var paths: [String]?
    /// Globs of files to leave alone even though `paths` matches them (e.g. rotated copies).
    public var exclude: [String]?
    /// Static labels for every line. Each file's stream also gets `filename`, as in Promtail.
    public var labels: [String: String]?
    /// Processing stages, in order.
    public var pipeline: [PipelineStageConfig]?

    public init(paths: [String]? = nil, exclude: [String]? = nil, labels: [String: String]? = nil,
                pipeline: [PipelineStageConfig]? = nil) {
        self.paths = paths
        self.exclude = exclude
        self.labels = labels
        self.pipeline = pipeline
    }
}
