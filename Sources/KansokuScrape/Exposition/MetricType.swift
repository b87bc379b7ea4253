public import KansokuCore

/// The type of a metric family as declared by `# TYPE`.
///
/// Prometheus text 0.0.4 knows `counter gauge histogram summary untyped`; OpenMetrics adds
/// `gaugehistogram info stateset` and calls untyped `unknown`. Both spellings of the untyped
/// type map to `.unknown`.
public enum MetricType: String, Sendable, Hashable, CaseIterable {
    case counter, gauge, histogram, gaugehistogram, summary, info, stateset, unknown

    /// The keyword used in the Prometheus text format (`untyped` for `.unknown`).
    public var textKeyword: String { self == .unknown ? "untyped" : rawValue }

    /// Sample-name suffixes an OpenMetrics family of this type may use.
    var openMetricsSuffixes: [String] {
        switch self {
        case .counter: ["_total", "_created"]
        case .summary: ["", "_count", "_sum", "_created"]
        case .histogram: ["_count", "_sum", "_bucket", "_created"]
        case .gaugehistogram: ["_gcount", "_gsum", "_bucket"]
        case .info: ["_info"]
        case .gauge, .stateset, .unknown: [""]
        }
    }
}

/// Which exposition grammar a body is written in.
public enum ExpositionFormat: String, Sendable, Hashable {
    /// `text/plain; version=0.0.4`: Prometheus's classic text format.
    case prometheusText = "text/plain; version=0.0.4; charset=utf-8"
    /// `application/openmetrics-text; version=1.0.0`.
    case openMetrics = "application/openmetrics-text; version=1.0.0; charset=utf-8"

    /// The Content-Type header value for this format.
    public var contentType: String { rawValue }
}

/// An exemplar attached to an OpenMetrics sample: `# {trace_id="abc"} 0.67 1520879607.789`.
public struct Exemplar: Sendable, Hashable {
    public var labels: Labels
    public var value: Double
    /// Milliseconds since the epoch, when the exemplar carried a timestamp.
    public var timestamp: Int64?

    public init(labels: Labels, value: Double, timestamp: Int64?) {
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
    }
}

/// What the last call to a parser's `next()` found.
public enum ExpositionEntry: Sendable, Hashable {
    /// `# HELP <metric> <text>`; text is unescaped.
    case help(metric: String, text: String)
    /// `# TYPE <metric> <type>`.
    case type(metric: String, MetricType)
    /// `# UNIT <metric> <unit>` (OpenMetrics only).
    case unit(metric: String, unit: String)
    /// A sample line; read it through the parser's `sample*` accessors.
    case sample
}
