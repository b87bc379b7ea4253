public import KansokuCore

/// A parsed LogQL query: a log query (streams) or a metric query (samples).
public enum LogQLExpr: Sendable, CustomStringConvertible {
    case log(LogSelectorExpr)
    case sample(SampleExpr)

    /// Loki's canonical `String()` form.
    public var description: String {
        switch self {
        case .log(let l): return l.description
        case .sample(let s): return s.description
        }
    }
}

/// `{matchers} stage stage …`.
public struct LogSelectorExpr: Sendable {
    public var matchers: [LabelMatcher]
    public var stages: [PipelineStage]

    public init(matchers: [LabelMatcher], stages: [PipelineStage] = []) {
        self.matchers = matchers
        self.stages = stages
    }
}

/// Line filter operators.
public enum LineFilterOp: String, Sendable {
    case contains = "|=", notContains = "!=", regex = "|~", notRegex = "!~", pattern = "|>", notPattern = "!>"
    var negated: Bool { self == .notContains || self == .notRegex || self == .notPattern }
}

/// One operand of a line filter: a string or `ip("…")`.
public enum LineFilterValue: Sendable, Hashable {
    case string(String)
    case ip(String)
}

/// `|= "a" or "b"`: the line passes when any alternative matches (for negated operators
/// the parser has already split `or` chains into separate filters, as Loki does).
public struct LineFilterExpr: Sendable {
    public var op: LineFilterOp
    public var values: [LineFilterValue]
}

/// A parser stage.
public enum ParserStage: Sendable {
    case json(params: [LabelExtraction])
    case logfmt(strict: Bool, keepEmpty: Bool, params: [LabelExtraction])
    case regexp(String)
    case pattern(String)
    case unpack
}

/// `name="expression"` in `| json name="a.b"`; a bare `name` has `expression == nil`.
public struct LabelExtraction: Sendable, Hashable {
    public var name: String
    public var expression: String?
}

/// Numeric comparison operators of label filters.
public enum ComparisonOp: String, Sendable {
    case eq = "==", neq = "!=", gt = ">", gte = ">=", lt = "<", lte = "<="

    func compare(_ a: Double, _ b: Double) -> Bool {
        switch self {
        case .eq: return a == b
        case .neq: return a != b
        case .gt: return a > b
        case .gte: return a >= b
        case .lt: return a < b
        case .lte: return a <= b
        }
    }
}

/// A label filter predicate tree.
public indirect enum LabelFilterExpr: Sendable {
    case string(LabelMatcher)
    case number(name: String, op: ComparisonOp, value: Double)
    case duration(name: String, op: ComparisonOp, nanoseconds: Int64)
    case bytes(name: String, op: ComparisonOp, value: UInt64)
    case ip(name: String, negated: Bool, pattern: String)
    case and(LabelFilterExpr, LabelFilterExpr)
    case or(LabelFilterExpr, LabelFilterExpr)
}

/// `new=old` (rename) or `new="{{template}}"` in `label_format`.
public struct LabelFormatItem: Sendable {
    public var name: String
    public var source: String
    public var isTemplate: Bool
}

/// `drop a, b="v"` / `keep a, b=~"re"` items.
public struct NamedLabelMatcher: Sendable {
    public var name: String
    public var matcher: LabelMatcher?
}

public enum PipelineStage: Sendable {
    case lineFilter(LineFilterExpr)
    case parser(ParserStage)
    case labelFilter(LabelFilterExpr)
    case lineFormat(String)
    case labelFormat([LabelFormatItem])
    case decolorize
    case drop([NamedLabelMatcher])
    case keep([NamedLabelMatcher])
}

public enum UnwrapConversion: String, Sendable {
    case none = "", bytes = "bytes", duration = "duration", durationSeconds = "duration_seconds"
}

/// `| unwrap [conv(]label[)] | post filters…`.
public struct UnwrapExpr: Sendable {
    public var label: String
    public var conversion: UnwrapConversion
    public var postFilters: [LabelFilterExpr]
}

/// `{…} pipeline [range] offset d` with optional unwrap.
public struct LogRangeExpr: Sendable {
    public var selector: LogSelectorExpr
    public var range: Int64
    public var offset: Int64
    public var unwrap: UnwrapExpr?
}

public enum RangeOp: String, Sendable, CaseIterable {
    case countOverTime = "count_over_time", rate, rateCounter = "rate_counter"
    case bytesOverTime = "bytes_over_time", bytesRate = "bytes_rate"
    case avgOverTime = "avg_over_time", sumOverTime = "sum_over_time", minOverTime = "min_over_time"
    case maxOverTime = "max_over_time", stddevOverTime = "stddev_over_time", stdvarOverTime = "stdvar_over_time"
    case quantileOverTime = "quantile_over_time", firstOverTime = "first_over_time", lastOverTime = "last_over_time"
    case absentOverTime = "absent_over_time"
}

public enum VectorOp: String, Sendable {
    case sum, avg, count, max, min, stddev, stdvar, bottomk, topk, sort, sortDesc = "sort_desc"
    case approxTopk = "approx_topk"
}

/// `by (a, b)` / `without (a)`.
public struct Grouping: Sendable, Hashable {
    public var without: Bool
    public var labels: [String]
}

public struct RangeAggregationExpr: Sendable {
    public var op: RangeOp
    public var range: LogRangeExpr
    public var parameter: Double?
    public var grouping: Grouping?
}

public struct VectorAggregationExpr: Sendable {
    public var op: VectorOp
    public var inner: SampleExpr
    public var parameter: Int?
    public var grouping: Grouping?
}

public enum BinaryOp: String, Sendable {
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%", pow = "^"
    case eq = "==", neq = "!=", gt = ">", gte = ">=", lt = "<", lte = "<="
    case and, or, unless

    var isComparison: Bool { [.eq, .neq, .gt, .gte, .lt, .lte].contains(self) }
    var isSet: Bool { self == .and || self == .or || self == .unless }
    var precedence: Int {
        switch self {
        case .or: return 1
        case .and, .unless: return 2
        case .eq, .neq, .gt, .gte, .lt, .lte: return 3
        case .add, .sub: return 4
        case .mul, .div, .mod: return 5
        case .pow: return 6
        }
    }
}

/// `on(…)`/`ignoring(…)` with `group_left(…)`/`group_right(…)`.
public struct VectorMatching: Sendable {
    public enum Card: Sendable { case oneToOne, manyToOne, oneToMany }
    public var on: Bool
    public var labels: [String]
    public var card: Card
    public var include: [String]
}

public struct BinaryExpr: Sendable {
    public var op: BinaryOp
    public var lhs: SampleExpr
    public var rhs: SampleExpr
    public var returnBool: Bool
    public var matching: VectorMatching?
}

public struct LabelReplaceExpr: Sendable {
    public var inner: SampleExpr
    public var destination: String
    public var replacement: String
    public var source: String
    public var regex: String
    let compiled: RE2Regex
}

public indirect enum SampleExpr: Sendable {
    case rangeAggregation(RangeAggregationExpr)
    case vectorAggregation(VectorAggregationExpr)
    case binary(BinaryExpr)
    case literal(Double)
    case vector(Double)
    case labelReplace(LabelReplaceExpr)
}
