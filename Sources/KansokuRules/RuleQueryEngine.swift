public import KansokuCore

/// One element of an instant-query result: a label set (with `__name__` when the query
/// keeps it) and a value.
public struct RuleSample: Sendable, Hashable {
    public var labels: Labels
    public var value: Double

    public init(labels: Labels, value: Double) {
        self.labels = labels
        self.value = value
    }
}

/// One series of a range-query result: labels and two columns.
public struct RuleSeries: Sendable, Hashable {
    public var labels: Labels
    public var timestamps: [Int64]
    public var values: [Double]

    public init(labels: Labels, timestamps: [Int64], values: [Double]) {
        self.labels = labels
        self.timestamps = timestamps
        self.values = values
    }
}

/// Errors the rule engine reports per rule (shown as `lastError` in `/api/v1/rules`).
public enum RuleEvaluationError: Error, Sendable, CustomStringConvertible, Hashable {
    /// The query engine rejected or failed the expression.
    case query(String)
    /// The result had a shape a rule cannot use (a string, a matrix).
    case resultType(String)
    /// Two output series had the same labels after the rule's labels were applied.
    case duplicateSeries(String)
    /// More series than the group's `limit`.
    case limitExceeded(limit: Int, got: Int)
    /// The language's engine is not configured.
    case languageUnavailable(QueryLanguage)

    public var description: String {
        switch self {
        case .query(let m): m
        case .resultType(let m): m
        case .duplicateSeries(let l): "vector contains metrics with the same labelset after applying rule labels: \(l)"
        case .limitExceeded(let limit, let got): "exceeded limit of \(limit) with \(got) series"
        case .languageUnavailable(let l): "no \(l.rawValue) engine configured"
        }
    }
}

/// The query side the rule engine needs: instant queries (every evaluation) and range
/// queries (warm start of SLO windows), in PromQL over the metric store or LogQL over the
/// log store. Times are unix milliseconds.
public protocol RuleQueryEngine: Sendable {
    func instant(_ expr: String, language: QueryLanguage, at: Int64) async throws(RuleEvaluationError) -> [RuleSample]
    func range(_ expr: String, language: QueryLanguage, start: Int64, end: Int64, step: Int64) async throws(RuleEvaluationError) -> [RuleSeries]
}

/// Where rule results go: recorded series, SLO series, `ALERTS` and `ALERTS_FOR_STATE` are
/// appended to the metric store (stale markers included), and read back on restart.
public protocol RuleSampleWriter: Sendable {
    func write(_ samples: [(labels: Labels, t: Int64, v: Double)]) async throws
    /// Stored samples of the series matching `matchers` in `[from, through]` (ms), time-ordered;
    /// used to restore alert `for` state and SLO windows after a restart.
    func read(matchers: [LabelMatcher], from: Int64, through: Int64) async throws -> [RuleSeries]
}

/// Prometheus's stale marker: a NaN with this bit pattern ends a series.
public enum RuleStaleNaN {
    public static let bits: UInt64 = 0x7ff0_0000_0000_0002
    public static let value = Double(bitPattern: bits)
    public static func isStale(_ v: Double) -> Bool { v.bitPattern == bits }
}

/// Chooses a rule's language when the group does not name one: LogQL constructs that
/// PromQL lacks (a pipe, a line filter on a string, the LogQL-only functions) mean LogQL.
public enum QueryLanguageDetector {
    public static func detect(_ expr: String) -> QueryLanguage {
        let b = Array(expr.utf8)
        var i = 0, depth = 0
        var prev: (UInt8, UInt8) = (0, 0)  // the last two significant bytes outside strings
        while i < b.count {
            let c = b[i]
            switch c {
            case UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: "`"):
                // Outside braces, `!= "x"` or `!~ "x"` can only be a LogQL line filter.
                if depth == 0, prev.0 == UInt8(ascii: "!"), prev.1 == UInt8(ascii: "=") || prev.1 == UInt8(ascii: "~") { return .logql }
                i += 1
                while i < b.count, b[i] != c {
                    if b[i] == UInt8(ascii: "\\"), c != UInt8(ascii: "`") { i += 1 }
                    i += 1
                }
                prev = (prev.1, c)
            case UInt8(ascii: "|"):
                return .logql  // PromQL has no pipe
            case UInt8(ascii: "#"):
                while i < b.count, b[i] != UInt8(ascii: "\n") { i += 1 }
            case UInt8(ascii: "{"): depth += 1; prev = (prev.1, c)
            case UInt8(ascii: "}"): depth -= 1; prev = (prev.1, c)
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\t"), UInt8(ascii: "\r"): break
            default: prev = (prev.1, c)
            }
            i += 1
        }
        for fn in ["bytes_over_time(", "bytes_rate(", "rate_counter("] where expr.contains(fn) { return .logql }
        return .promql
    }
}
