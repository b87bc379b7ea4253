public import KansokuCore

/// The type an expression evaluates to.
public enum PromQLValueType: String, Sendable, Hashable {
    case scalar, vector = "instant vector", matrix = "range vector", string
}

/// Binary operators, including the set operators and comparisons.
public enum BinaryOp: String, Sendable, Hashable {
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%", pow = "^", atan2
    case eql = "==", neq = "!=", gtr = ">", lss = "<", gte = ">=", lte = "<="
    case and, or, unless

    /// Binding strength; higher binds tighter.
    var precedence: Int {
        switch self {
        case .or: return 1
        case .and, .unless: return 2
        case .eql, .neq, .gtr, .lss, .gte, .lte: return 3
        case .add, .sub: return 4
        case .mul, .div, .mod, .atan2: return 5
        case .pow: return 6
        }
    }

    public var isComparison: Bool {
        switch self {
        case .eql, .neq, .gtr, .lss, .gte, .lte: return true
        default: return false
        }
    }

    public var isSetOperator: Bool { self == .and || self == .or || self == .unless }
}

/// Aggregation operators.
public enum AggregateOp: String, Sendable, Hashable {
    case sum, avg, count, min, max, group, stddev, stdvar, topk, bottomk
    case countValues = "count_values", quantile, limitk, limitRatio = "limit_ratio"

    /// Whether the operator takes a parameter before the aggregated expression.
    var hasParameter: Bool {
        switch self {
        case .topk, .bottomk, .quantile, .countValues, .limitk, .limitRatio: return true
        default: return false
        }
    }
}

/// The `@` modifier: a fixed time or the query's start/end.
public enum AtModifier: Sendable, Hashable {
    case timestamp(Int64)
    case start
    case end
}

/// How an extended range selector treats the window's edges: `anchored` adds the last
/// sample before the window, `smoothed` interpolates linearly at both edges.
public enum RangeModifier: String, Sendable, Hashable {
    case anchored, smoothed
}

/// An instant vector selector `name{matchers} offset 5m @ 100`.
public struct VectorSelector: Sendable, Hashable {
    public var name: String?
    /// All matchers, including the one on `__name__` when `name` is set.
    public var matchers: [LabelMatcher]
    public var offset: Int64 = 0
    public var at: AtModifier?
    /// Whether `offset`/`@` were written (they print even when zero).
    public var hasOffset = false
    /// An offset that depends on the query (`offset step()`), resolved before evaluation.
    public var offsetExpr: DurationExpr?
    /// `anchored`/`smoothed` (experimental extended range selectors).
    public var modifier: RangeModifier?

    public init(name: String?, matchers: [LabelMatcher]) {
        self.name = name
        self.matchers = matchers
    }
}

/// A range vector selector `selector[5m]`.
public struct MatrixSelector: Sendable, Hashable {
    public var selector: VectorSelector
    public var range: Int64
    /// A range that depends on the query (`[step()]`), resolved before evaluation.
    public var rangeExpr: DurationExpr?
}

/// A subquery `expr[range:step] offset … @ …`.
public struct SubqueryExpr: Sendable, Hashable {
    public var expr: PromQLExpr
    public var range: Int64
    /// nil = the engine's default evaluation interval.
    public var step: Int64?
    public var offset: Int64 = 0
    public var hasOffset = false
    public var at: AtModifier?
    /// Durations that depend on the query, resolved before evaluation.
    public var rangeExpr: DurationExpr?
    public var stepExpr: DurationExpr?
    public var offsetExpr: DurationExpr?
}

/// Vector matching of a binary operation between two instant vectors.
public struct VectorMatching: Sendable, Hashable {
    public enum Cardinality: Sendable, Hashable { case oneToOne, manyToOne, oneToMany, manyToMany }
    public var cardinality: Cardinality = .oneToOne
    /// Labels in `on(…)`/`ignoring(…)`.
    public var matchingLabels: [String] = []
    /// True for `on(…)`, false for `ignoring(…)` or nothing.
    public var on = false
    /// Whether `on`/`ignoring` was written at all.
    public var explicit = false
    /// Extra labels in `group_left(…)`/`group_right(…)`.
    public var include: [String] = []
    /// `fill_left(v)`/`fill(v)`: the value used when the left side has no match.
    public var fillLeft: Double?
    /// `fill_right(v)`/`fill(v)`: the value used when the right side has no match.
    public var fillRight: Double?
}

public struct BinaryExpr: Sendable, Hashable {
    public var op: BinaryOp
    public var lhs: PromQLExpr
    public var rhs: PromQLExpr
    public var returnBool = false
    public var matching: VectorMatching?
    /// Whether both operands are scalars, fixed when the parser builds the node: working
    /// it out again would walk the whole operator chain below.
    public var isScalar = false
}

public struct AggregateExpr: Sendable, Hashable {
    public var op: AggregateOp
    public var expr: PromQLExpr
    public var param: PromQLExpr?
    public var grouping: [String]
    public var without: Bool
    /// Whether `by`/`without` was written (so `sum by () (x)` prints as written).
    public var hasGrouping: Bool
}

public struct FunctionCall: Sendable, Hashable {
    public var name: String
    public var args: [PromQLExpr]
}

/// A parsed PromQL expression.
public indirect enum PromQLExpr: Sendable, Hashable {
    case number(Double)
    case string(String)
    case vectorSelector(VectorSelector)
    case matrixSelector(MatrixSelector)
    case subquery(SubqueryExpr)
    case call(FunctionCall)
    case aggregate(AggregateExpr)
    case binary(BinaryExpr)
    case unaryMinus(PromQLExpr)
    case paren(PromQLExpr)

    /// The type the expression evaluates to.
    public var type: PromQLValueType {
        // A loop, not recursion: chains of signs and parentheses may be thousands deep.
        var e = self
        while true {
            switch e {
            case .number: return .scalar
            case .string: return .string
            case .vectorSelector: return .vector
            case .matrixSelector, .subquery: return .matrix
            case .call(let c): return PromQLFunctions.table[c.name]?.returns ?? .vector
            case .aggregate: return .vector
            case .binary(let b): return b.isScalar ? .scalar : .vector
            case .unaryMinus(let x), .paren(let x): e = x
            }
        }
    }

    /// The expression with enclosing parentheses removed.
    public var unwrapped: PromQLExpr {
        var e = self
        while case .paren(let x) = e { e = x }
        return e
    }

    /// Calls `visit` on this expression and every sub-expression, depth first.
    public func walk(_ visit: (PromQLExpr) -> Void) {
        visit(self)
        switch self {
        case .number, .string, .vectorSelector, .matrixSelector: break
        case .subquery(let s): s.expr.walk(visit)
        case .call(let c): for a in c.args { a.walk(visit) }
        case .aggregate(let a):
            a.param?.walk(visit)
            a.expr.walk(visit)
        case .binary(let b):
            b.lhs.walk(visit)
            b.rhs.walk(visit)
        case .unaryMinus(let e), .paren(let e): e.walk(visit)
        }
    }
}
