import KansokuCore

/// Evaluates PromQL over a `Queryable` store, with Prometheus's semantics: lookback delta,
/// staleness, `@`/offset, extrapolated rates, delayed `__name__` removal.
public struct PromQLEngine: Sendable {
    public let queryable: any Queryable
    /// How far back an instant selector looks for a sample (Prometheus: 5m).
    public var lookbackDelta: Int64
    /// Resolution of subqueries written without a step (`x[1h:]`); Prometheus uses the
    /// global evaluation interval.
    public var defaultSubqueryStep: Int64 = 60_000
    /// Most points a range query may return per series (Prometheus: 11,000).
    public var maxPointsPerSeries: Int64 = 11_000
    /// Most samples a query may hold in memory at once.
    public var maxSamples: Int = 50_000_000

    public init(queryable: any Queryable, lookbackDelta: Int64 = 300_000) {
        self.queryable = queryable
        self.lookbackDelta = lookbackDelta
    }

    /// Evaluates `q` at one instant `at` (ms).
    public func instantQuery(_ q: String, at: Int64) async throws(PromQLError) -> PromQLValue {
        try await instantQueryResult(q, at: at).value
    }

    /// Evaluates `q` at every step from `start` through `end` (ms); the result is a matrix.
    public func rangeQuery(_ q: String, start: Int64, end: Int64, step: Int64) async throws(PromQLError) -> PromQLValue {
        try await rangeQueryResult(q, start: start, end: end, step: step).value
    }

    /// `instantQuery` with warnings and infos.
    public func instantQueryResult(_ q: String, at: Int64) async throws(PromQLError) -> PromQLResult {
        let expr = try PromQLParser.parse(q)
        return try await evaluate(expr, start: at, end: at, step: 0, instant: true)
    }

    /// `rangeQuery` with warnings and infos.
    public func rangeQueryResult(_ q: String, start: Int64, end: Int64, step: Int64) async throws(PromQLError) -> PromQLResult {
        let expr = try PromQLParser.parse(q)
        return try await evaluateRange(expr, start: start, end: end, step: step)
    }

    /// Range evaluation of an already parsed expression.
    public func evaluateRange(_ expr: PromQLExpr, start: Int64, end: Int64, step: Int64) async throws(PromQLError) -> PromQLResult {
        guard step > 0 else {
            throw PromQLError.execution("zero or negative query resolution step widths are not accepted. Try a positive integer")
        }
        guard end >= start else { throw PromQLError.execution("end timestamp must not be before start time") }
        if (end - start) / step >= maxPointsPerSeries {
            throw PromQLError.limit("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")
        }
        guard expr.type == .scalar || expr.type == .vector else {
            throw PromQLError.execution("invalid expression type \(goQuoted(expr.type.rawValue)) for range query, must be Scalar or instant Vector")
        }
        return try await evaluate(expr, start: start, end: end, step: step, instant: false)
    }

    /// Instant evaluation of an already parsed expression (what rule evaluation uses).
    public func evaluateInstant(_ expr: PromQLExpr, at: Int64) async throws(PromQLError) -> PromQLResult {
        try await evaluate(expr, start: at, end: at, step: 0, instant: true)
    }

    func evaluate(_ expr: PromQLExpr, start: Int64, end: Int64, step: Int64, instant: Bool) async throws(PromQLError) -> PromQLResult {
        let expr = expr.hasQueryDependentDurations ? try expr.resolvingDurations(step: step, range: end - start) : expr
        let ev = Evaluator(start: start, end: end, step: step, lookback: lookbackDelta,
                           subqueryStep: defaultSubqueryStep, maxSamples: maxSamples)
        try await ev.load(expr, from: queryable)
        if instant {
            let v = try ev.eval(expr, start)
            return PromQLResult(value: try ev.finishInstant(v, at: start), warnings: ev.warnings, infos: ev.infos)
        }
        var assembler = RangeAssembler()
        var t = start
        while t <= end {
            if Task.isCancelled { throw PromQLError.execution("query was canceled") }
            let v = try ev.eval(expr, t)
            try assembler.add(v, at: t)
            t += step
        }
        return PromQLResult(value: .matrix(assembler.result()), warnings: ev.warnings, infos: ev.infos)
    }
}

/// Collects per-step results of a range query into series.
struct RangeAssembler {
    var index: [Labels: Int] = [:]
    /// Output series by stored-series id and name dropping, to skip label hashing.
    var bySid: [Int64: Int] = [:]
    var series: [PromQLSeries] = []

    mutating func add(_ v: EvalValue, at t: Int64) throws(PromQLError) {
        switch v {
        case .scalar(let x):
            try append(seriesIndex(Labels()), PromQLPoint(t: t, v: x))
        case .vector(let samples):
            for s in samples {
                let i: Int
                if s.sid >= 0 {
                    let k = Int64(s.sid) * 2 + (s.dropName ? 1 : 0)
                    if let known = bySid[k] {
                        i = known
                    } else {
                        i = seriesIndex(s.finalLabels)
                        bySid[k] = i
                    }
                } else {
                    i = seriesIndex(s.finalLabels)
                }
                try append(i, PromQLPoint(t: t, v: s.v))
            }
        case .matrix, .string:
            throw PromQLError.execution("invalid expression type for range query, must be Scalar or instant Vector")
        }
    }

    mutating func seriesIndex(_ l: Labels) -> Int {
        if let i = index[l] { return i }
        index[l] = series.count
        series.append(PromQLSeries(labels: l, points: []))
        return series.count - 1
    }

    mutating func append(_ i: Int, _ p: PromQLPoint) throws(PromQLError) {
        // Two samples of one step landing in one series: equal label sets in one vector.
        if series[i].points.last?.t == p.t {
            throw PromQLError.execution("vector cannot contain metrics with the same labelset")
        }
        series[i].points.append(p)
    }

    func result() -> [PromQLSeries] { series.sorted { labelsLess($0.labels, $1.labels) } }
}
