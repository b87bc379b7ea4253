public import KansokuCore

/// A pull parser over one exposition body, in the style of Prometheus's `textparse.Parser`:
/// `next()` advances to the next HELP/TYPE/UNIT line or sample, and the `sample*` members
/// describe the current sample until the next call.
///
/// Sample data is kept as byte ranges; `sampleLabels()` builds strings only when asked, so a
/// scrape loop can look series up by `sampleSeriesKey` and skip that work for known series.
public protocol ExpositionParser {
    /// The next entry, or nil at the end of a well-formed body.
    mutating func next() throws(ExpositionError) -> ExpositionEntry?
    /// The raw bytes of the metric name and label set as written (a cache key).
    var sampleSeriesKey: ArraySlice<UInt8> { get }
    /// The metric name of the current sample.
    var sampleName: String { get }
    /// The labels of the current sample, including `__name__`.
    func sampleLabels() -> Labels
    var sampleValue: Double { get }
    /// Milliseconds since the epoch, when the sample carried a timestamp.
    var sampleTimestamp: Int64? { get }
    /// The exemplar of the current sample (OpenMetrics only).
    var sampleExemplar: Exemplar? { get }
    /// The declared type of the family the current sample belongs to.
    var sampleType: MetricType { get }
}

/// Builds the parser for a body in `format`.
public func makeExpositionParser(_ bytes: [UInt8], format: ExpositionFormat) -> any ExpositionParser {
    switch format {
    case .prometheusText: PromTextParser(bytes)
    case .openMetrics: OpenMetricsParser(bytes)
    }
}

/// One sample with everything materialized; what `parseExposition` returns.
public struct ParsedSample: Sendable, Hashable {
    public var labels: Labels
    public var value: Double
    public var timestamp: Int64?
    public var exemplar: Exemplar?
    public var type: MetricType

    public init(labels: Labels, value: Double, timestamp: Int64? = nil, exemplar: Exemplar? = nil,
                type: MetricType = .unknown) {
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
        self.exemplar = exemplar
        self.type = type
    }
}

/// Metadata of one family, as declared by HELP/TYPE/UNIT lines.
public struct FamilyMetadata: Sendable, Hashable {
    public var type: MetricType = .unknown
    public var help: String?
    public var unit: String?

    public init(type: MetricType = .unknown, help: String? = nil, unit: String? = nil) {
        self.type = type
        self.help = help
        self.unit = unit
    }
}

/// A whole body parsed into samples and per-family metadata. Convenient for tests, import
/// and tools; the scrape loop uses the pull parser directly.
public struct ParsedExposition: Sendable {
    public var samples: [ParsedSample] = []
    public var metadata: [String: FamilyMetadata] = [:]
}

public func parseExposition(_ bytes: [UInt8], format: ExpositionFormat) throws(ExpositionError) -> ParsedExposition {
    var parser = makeExpositionParser(bytes, format: format)
    return try parser.collect()
}

extension ExpositionParser {
    /// Drains the parser into a `ParsedExposition`.
    public mutating func collect() throws(ExpositionError) -> ParsedExposition {
        var out = ParsedExposition()
        while let entry = try next() {
            switch entry {
            case .help(let metric, let text): out.metadata[metric, default: FamilyMetadata()].help = text
            case .type(let metric, let type): out.metadata[metric, default: FamilyMetadata()].type = type
            case .unit(let metric, let unit): out.metadata[metric, default: FamilyMetadata()].unit = unit
            case .sample:
                out.samples.append(ParsedSample(labels: sampleLabels(), value: sampleValue,
                                                timestamp: sampleTimestamp, exemplar: sampleExemplar,
                                                type: sampleType))
            }
        }
        return out
    }
}
