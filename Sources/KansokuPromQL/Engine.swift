import KansokuCore

/// Evaluates PromQL over a `Queryable` store, with Prometheus's semantics: lookback delta,
/// staleness, `@`/offset, extrapolated rates, delayed `__name__` removal.
public struct PromQLEngine: Sendable {
    public var queryable: any Queryable
    /// How far back an instant selector looks for a sample (Prometheus: 5m).
    public var lookbackDelta: Int64
    /// Resolution of subqueries written without a step (`x[1h:]`); Prometheus uses the
    /// global evaluation interval.
    public var defaultSubqueryStep: Int64 = 60_000
    /// Most points a range query may return per series (Prometheus: 11,000).
    public var maxPointsPerSeries: Int64 = 11_000
    /// Most samples a query may hold in memory at once: loaded samples, subquery points and
    /// range-query output together (Prometheus's `--query.max-samples`).
    public var maxSamples: Int = 50_000_000
    /// Longest a query may run before it stops with `query timed out in expression
    /// evaluation` (Prometheus's `--query.timeout`, 2m); nil runs without a limit.
    public var timeout: Duration? = .seconds(120)
    /// Bounds how many queries evaluate at once (Prometheus's `--query.max-concurrency`);
    /// copies of the engine share it. nil admits every query at once.
    public var gate: QueryGate?
    /// The deepest expression nesting a query may have.
    public var maxNestingDepth: Int = PromQLParser.maxQueryDepth

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
        try await run { budget throws(PromQLError) in
            let expr = try PromQLParser.parseOnCurrentThread(q, maxDepth: maxNestingDepth)
            return try evaluateSync(expr, start: at, end: at, step: 0, instant: true, budget: budget)
        }
    }

    /// `rangeQuery` with warnings and infos.
    public func rangeQueryResult(_ q: String, start: Int64, end: Int64, step: Int64) async throws(PromQLError) -> PromQLResult {
        try await run { budget throws(PromQLError) in
            let expr = try PromQLParser.parseOnCurrentThread(q, maxDepth: maxNestingDepth)
            return try evaluateRangeSync(expr, start: start, end: end, step: step, budget: budget)
        }
    }

    /// Range evaluation of an already parsed expression.
    public func evaluateRange(_ expr: PromQLExpr, start: Int64, end: Int64, step: Int64) async throws(PromQLError) -> PromQLResult {
        try await run { budget throws(PromQLError) in
            try evaluateRangeSync(expr, start: start, end: end, step: step, budget: budget)
        }
    }

    /// Instant evaluation of an already parsed expression (what rule evaluation uses).
    public func evaluateInstant(_ expr: PromQLExpr, at: Int64) async throws(PromQLError) -> PromQLResult {
        try await run { budget throws(PromQLError) in
            try evaluateSync(expr, start: at, end: at, step: 0, instant: true, budget: budget)
        }
    }

    /// Runs one query under the engine's bounds: a place at the gate, the timeout, the
    /// caller's cancellation, and a large-stack thread for the recursive work.
    func run(_ body: @escaping @Sendable (QueryBudget) throws(PromQLError) -> PromQLResult) async throws(PromQLError) -> PromQLResult {
        let budget = QueryBudget(timeout: timeout)
        if let gate {
            guard await gate.acquire() else { throw PromQLError.canceled("query was canceled in query queue") }
            defer { gate.release() }
            try budget.check("query queue")
            return try await runOnQueryThread(budget, body)
        }
        return try await runOnQueryThread(budget, body)
    }

    private func runOnQueryThread(_ budget: QueryBudget,
                                  _ body: @escaping @Sendable (QueryBudget) throws(PromQLError) -> PromQLResult) async throws(PromQLError) -> PromQLResult {
        let result = await withTaskCancellationHandler {
            await QueryThread.run { () -> Result<PromQLResult, PromQLError> in
                do throws(PromQLError) { return .success(try body(budget)) } catch { return .failure(error) }
            }
        } onCancel: {
            budget.cancel()
        }
        return try result.get()
    }

    func evaluateRangeSync(_ expr: PromQLExpr, start: Int64, end: Int64, step: Int64, budget: QueryBudget) throws(PromQLError) -> PromQLResult {
        guard step > 0 else {
            throw PromQLError.execution("zero or negative query resolution step widths are not accepted. Try a positive integer")
        }
        guard end >= start else { throw PromQLError.execution("end timestamp must not be before start time") }
        let (span, overflow) = end.subtractingReportingOverflow(start)
        if overflow || span / step >= maxPointsPerSeries {
            throw PromQLError.limit("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")
        }
        guard expr.type == .scalar || expr.type == .vector else {
            throw PromQLError.execution("invalid expression type \(goQuoted(expr.type.rawValue)) for range query, must be Scalar or instant Vector")
        }
        return try evaluateSync(expr, start: start, end: end, step: step, instant: false, budget: budget)
    }

    /// Evaluation proper; runs on the query thread, where deep recursion is safe and
    /// waiting for storage blocks no pool thread.
    func evaluateSync(_ expr: PromQLExpr, start: Int64, end: Int64, step: Int64, instant: Bool,
                      budget: QueryBudget) throws(PromQLError) -> PromQLResult {
        let expr = expr.hasQueryDependentDurations ? try expr.resolvingDurations(step: step, range: end &- start) : expr
        let ev = Evaluator(start: start, end: end, step: step, lookback: lookbackDelta,
                           subqueryStep: defaultSubqueryStep, maxSamples: maxSamples, budget: budget)
        try ev.load(expr, from: queryable)
        if instant {
            let v = try ev.eval(expr, start)
            return PromQLResult(value: try ev.finishInstant(v, at: start), warnings: ev.warnings, infos: ev.infos)
        }
        var assembler = RangeAssembler()
        var t = start
        while t <= end {
            try budget.check()
            let v = try ev.eval(expr, t)
            try assembler.add(v, at: t)
            // The output held in memory counts against the limit like loaded samples do.
            if ev.loadedSamples + assembler.points > maxSamples { throw PromQLError.tooManySamples }
            let (next, overflow) = t.addingReportingOverflow(step)
            if overflow { break }
            t = next
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
    /// Points collected so far.
    var points = 0

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
        points += 1
    }

    func result() -> [PromQLSeries] { series.sorted { labelsLess($0.labels, $1.labels) } }
}
