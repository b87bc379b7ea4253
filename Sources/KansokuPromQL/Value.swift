public import KansokuCore

/// One sample of an instant-vector result.
public struct PromQLSample: Sendable, Hashable {
    public var labels: Labels
    /// Milliseconds since the epoch.
    public var t: Int64
    public var v: Double

    public init(labels: Labels, t: Int64, v: Double) {
        self.labels = labels
        self.t = t
        self.v = v
    }
}

/// One point of a series in a range-vector (matrix) result.
public struct PromQLPoint: Sendable, Hashable {
    public var t: Int64
    public var v: Double

    public init(t: Int64, v: Double) {
        self.t = t
        self.v = v
    }
}

/// One series of a matrix result.
public struct PromQLSeries: Sendable, Hashable {
    public var labels: Labels
    public var points: [PromQLPoint]

    public init(labels: Labels, points: [PromQLPoint]) {
        self.labels = labels
        self.points = points
    }
}

/// The result of a query, shaped like Prometheus's `resultType`s.
public enum PromQLValue: Sendable, Hashable {
    case vector([PromQLSample])
    /// Series sorted by label set.
    case matrix([PromQLSeries])
    case scalar(t: Int64, v: Double)
    case string(t: Int64, s: String)

    /// `vector`, `matrix`, `scalar` or `string`, as the HTTP API names result types.
    public var resultType: String {
        switch self {
        case .vector: return "vector"
        case .matrix: return "matrix"
        case .scalar: return "scalar"
        case .string: return "string"
        }
    }
}

/// A query result with the annotations Prometheus returns beside it.
public struct PromQLResult: Sendable, Hashable {
    public var value: PromQLValue
    /// Warnings (possibly wrong results), e.g. a quantile out of [0, 1].
    public var warnings: [String]
    /// Informational notes, e.g. non-monotonic histogram buckets that were fixed up.
    public var infos: [String]

    public init(value: PromQLValue, warnings: [String] = [], infos: [String] = []) {
        self.value = value
        self.warnings = warnings
        self.infos = infos
    }
}

/// The stale marker: a NaN with a particular payload that ends a series.
public enum PromQLStaleNaN {
    public static let bits: UInt64 = 0x7ff0_0000_0000_0002
    public static let value = Double(bitPattern: bits)
    @inline(__always) public static func isStale(_ v: Double) -> Bool { v.bitPattern == bits }
}
