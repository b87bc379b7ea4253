/// Per-query bounds the engine enforces while it runs (Loki's `limits_config` query side).
///
/// They travel as a task-local so a server can set them once around a query without
/// threading them through every evaluator; library users who set nothing get the defaults.
public struct LogQLLimits: Sendable, Equatable {
    /// The most series a metric query may return (Loki's `max_query_series`); 0 means no limit.
    public var maxQuerySeries: Int
    /// The most bytes one `line_format`/`label_format` rendering may build.
    public var maxTemplateOutputBytes: Int

    public init(maxQuerySeries: Int = 500, maxTemplateOutputBytes: Int = 1 << 20) {
        self.maxQuerySeries = maxQuerySeries
        self.maxTemplateOutputBytes = maxTemplateOutputBytes
    }

    public static let `default` = LogQLLimits()

    /// The limits of the query running on this task.
    @TaskLocal public static var current = LogQLLimits.default

    /// Loki's answer when a metric query has more series than `maxQuerySeries`.
    static func seriesLimitError(_ limit: Int) -> LogQLError {
        .execution("maximum number of series (\(limit)) reached for a single query; consider reducing query cardinality by adding more specific stream selectors, reducing the time range, or aggregating results with functions like sum(), count() or topk()")
    }
}

extension LogQLExpr {
    /// The longest range vector in the query (0 for a log query), so a server can bound how
    /// far back a query reaches before running it.
    public var longestRange: Int64 {
        switch self {
        case .log: return 0
        case .sample(let s): return s.longestRange
        }
    }
}

extension SampleExpr {
    /// The parser bounds the depth of every expression, so this walk is bounded too.
    var longestRange: Int64 {
        switch self {
        case .rangeAggregation(let r): return r.range.range
        case .vectorAggregation(let v): return v.inner.longestRange
        case .binary(let b): return max(b.lhs.longestRange, b.rhs.longestRange)
        case .labelReplace(let l): return l.inner.longestRange
        case .literal, .vector: return 0
        }
    }
}
