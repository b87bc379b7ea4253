public import KansokuCore

/// OpenTelemetry's data model (opentelemetry-proto `common`, `resource`, `logs` and
/// `metrics` v1), as far as logs and Prometheus-compatible metrics need it. Both wire forms,
/// protobuf and JSON, decode into these types.
public enum OTLPValue: Sendable, Hashable {
    case empty
    case string(String)
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case bytes([UInt8])
    case array([OTLPValue])
    case kvlist([OTLPAttribute])
}

/// A key and its value (`KeyValue`).
public struct OTLPAttribute: Sendable, Hashable {
    public var key: String
    public var value: OTLPValue

    public init(key: String, value: OTLPValue) {
        self.key = key
        self.value = value
    }
}

/// The instrumentation scope of a group of records or metrics.
public struct OTLPScope: Sendable, Hashable {
    public var name = ""
    public var version = ""
    public var attributes: [OTLPAttribute] = []
    public var droppedAttributesCount: UInt32 = 0
}

/// One `LogRecord`.
public struct OTLPLogRecord: Sendable, Hashable {
    public var timeUnixNano: UInt64 = 0
    public var observedTimeUnixNano: UInt64 = 0
    public var severityNumber: Int = 0
    public var severityText = ""
    public var body: OTLPValue = .empty
    public var attributes: [OTLPAttribute] = []
    public var droppedAttributesCount: UInt32 = 0
    public var flags: UInt32 = 0
    public var traceID: [UInt8] = []
    public var spanID: [UInt8] = []
}

/// `ExportLogsServiceRequest`, flattened to resource → scope → records.
public struct OTLPLogs: Sendable {
    public struct ScopeLogs: Sendable {
        public var scope = OTLPScope()
        public var records: [OTLPLogRecord] = []
    }

    public struct ResourceLogs: Sendable {
        public var resource: [OTLPAttribute] = []
        public var scopes: [ScopeLogs] = []
    }

    public var resources: [ResourceLogs] = []

    public var recordCount: Int { resources.reduce(0) { $0 + $1.scopes.reduce(0) { $0 + $1.records.count } } }
}

/// `AggregationTemporality`.
public enum OTLPTemporality: Int, Sendable {
    case unspecified = 0, delta = 1, cumulative = 2
}

/// A `NumberDataPoint` (gauges and sums).
public struct OTLPNumberPoint: Sendable, Hashable {
    public var attributes: [OTLPAttribute] = []
    public var timeUnixNano: UInt64 = 0
    public var value: Double = 0
    public var flags: UInt32 = 0
}

/// A `HistogramDataPoint` with explicit bounds.
public struct OTLPHistogramPoint: Sendable, Hashable {
    public var attributes: [OTLPAttribute] = []
    public var timeUnixNano: UInt64 = 0
    public var count: UInt64 = 0
    public var sum: Double?
    public var bucketCounts: [UInt64] = []
    public var explicitBounds: [Double] = []
    public var flags: UInt32 = 0
}

/// A `SummaryDataPoint`.
public struct OTLPSummaryPoint: Sendable, Hashable {
    public struct Quantile: Sendable, Hashable {
        public var quantile: Double
        public var value: Double
    }

    public var attributes: [OTLPAttribute] = []
    public var timeUnixNano: UInt64 = 0
    public var count: UInt64 = 0
    public var sum: Double = 0
    public var quantiles: [Quantile] = []
    public var flags: UInt32 = 0
}

/// One `Metric`: its name, unit and data.
public struct OTLPMetric: Sendable, Hashable {
    public enum Data: Sendable, Hashable {
        case none
        case gauge([OTLPNumberPoint])
        case sum([OTLPNumberPoint], temporality: OTLPTemporality, monotonic: Bool)
        case histogram([OTLPHistogramPoint], temporality: OTLPTemporality)
        case exponentialHistogram(temporality: OTLPTemporality)
        case summary([OTLPSummaryPoint])
    }

    public var name = ""
    public var unit = ""
    public var data: Data = .none
}

/// `ExportMetricsServiceRequest`, flattened to resource → scope → metrics.
public struct OTLPMetrics: Sendable {
    public struct ScopeMetrics: Sendable {
        public var scope = OTLPScope()
        public var metrics: [OTLPMetric] = []
    }

    public struct ResourceMetrics: Sendable {
        public var resource: [OTLPAttribute] = []
        public var scopes: [ScopeMetrics] = []
    }

    public var resources: [ResourceMetrics] = []
}

/// Why an OTLP body was refused; the server answers 400 with the description.
public enum OTLPDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    case unsupportedContentType(String)
    case protobuf(ProtobufError)
    case json(JSONSyntaxError)
    /// Valid JSON, not shaped like the request: `path` names the place.
    case shape(path: String, expected: String)
    case tooDeep(limit: Int)

    public var description: String {
        switch self {
        case .unsupportedContentType(let t):
            return "unsupported Content-Type \"\(t.prefix(200))\": expected application/x-protobuf or application/json"
        case .protobuf(let e): return "decoding OTLP protobuf: \(e)"
        case .json(let e): return "decoding OTLP JSON: \(e)"
        case .shape(let path, let expected): return "decoding OTLP JSON: \(path): expected \(expected)"
        case .tooDeep(let limit): return "attribute values nest deeper than \(limit) levels"
        }
    }
}

/// How deep `array` and `kvlist` values may nest, so a hostile body cannot exhaust the stack.
let otlpMaxValueDepth = 32
