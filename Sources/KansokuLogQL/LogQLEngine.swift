public import KansokuCore
public import KansokuLogStore
import Foundation

/// Runs LogQL queries over a log store.
public final class LogQLEngine: Sendable {
    public let reader: any LogReader

    public init(store: LogStore) { reader = StoreLogReader(store) }

    public init(reader: any LogReader) { self.reader = reader }

    /// Refuses a metric result with more series than the query's `max_query_series`.
    static func checkSeriesLimit(_ count: Int) throws(LogQLError) {
        let limit = LogQLLimits.current.maxQuerySeries
        if limit > 0, count > limit { throw LogQLLimits.seriesLimitError(limit) }
    }

    /// Loki's default step for a range: max(floor((end - start) / 250), 1s), in ns.
    public static func defaultStep(start: Int64, end: Int64) -> Int64 {
        max((end - start) / 250 / 1_000_000_000 * 1_000_000_000, 1_000_000_000)
    }

    /// A range query: log queries return up to `limit` entries in `[start, end)`; metric
    /// queries are evaluated at `start, start+step, …, end`.
    public func queryRange(_ q: String, tenant: String, start: Int64, end: Int64, step: Int64, interval: Int64? = nil,
                           direction: Direction = .backward, limit: Int = 100) async throws(LogQLError) -> LogQLResult {
        let began = DispatchTime.now().uptimeNanoseconds
        let expr = try LogQLParser.parse(q)
        let reader = try await self.reader.prepared(for: LogQueryPlan(query: q, tenant: tenant, start: start, end: end,
                                                                      kind: .range(step: step, interval: interval),
                                                                      direction: direction, limit: limit))
        let stats = StatsCollector()
        let data: LogQLData
        switch expr {
        case .log(let sel):
            var streams = try await LogQueryExec.run(sel, reader: reader, tenant: tenant, start: start, end: end,
                                                      direction: direction, limit: limit, stats: stats)
            if let interval, interval > 0 { streams = Self.applyInterval(streams, interval: interval, start: start, direction: direction) }
            data = .streams(streams)
        case .sample(let s):
            guard step > 0 else { throw .execution("zero or negative query resolution step widths are not accepted. Try a positive integer") }
            var steps: [Int64] = []
            var t = start
            while t <= end {
                steps.append(t)
                let (next, overflow) = t.addingReportingOverflow(step)
                if overflow { break }
                t = next
            }
            if steps.isEmpty { steps = [start] }
            let ev = MetricEvaluator(reader: reader, tenant: tenant, steps: steps, stats: stats)
            if steps.count > 1, let op = Self.instantOnlyOp(s) {
                throw .execution("\(op) is only supported on instant queries")
            }
            switch try await ev.eval(s) {
            case .scalar(let vs):
                data = .matrix([SeriesResult(labels: Labels(), points: zip(steps, vs).map { SeriesPoint(timestamp: $0, value: $1) })])
            case .rows(let rows):
                var series: [SeriesResult] = rows.map { row in
                    SeriesResult(labels: row.labels, points: zip(steps, row.values).compactMap { t, v in v.map { SeriesPoint(timestamp: t, value: $0) } })
                }.filter { !$0.points.isEmpty }
                try Self.checkSeriesLimit(series.count)
                series.sort { $0.labels.description < $1.labels.description }
                data = .matrix(series)
            }
        }
        var st = stats.value
        st.execTime = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        return LogQLResult(data: data, stats: st, warnings: reader.warnings)
    }

    /// An instant query (metric queries only, as in Loki).
    public func queryInstant(_ q: String, tenant: String, time: Int64, direction: Direction = .backward,
                             limit: Int = 100) async throws(LogQLError) -> LogQLResult {
        let began = DispatchTime.now().uptimeNanoseconds
        let expr = try LogQLParser.parse(q)
        guard case .sample(let s) = expr else {
            throw .execution("log queries are not supported as an instant query type, please change your query to a range query type")
        }
        let reader = try await self.reader.prepared(for: LogQueryPlan(query: q, tenant: tenant, start: time, end: time, kind: .instant,
                                                                      direction: direction, limit: limit))
        let stats = StatsCollector()
        let ev = MetricEvaluator(reader: reader, tenant: tenant, steps: [time], stats: stats)
        let data: LogQLData
        switch try await ev.eval(s) {
        case .scalar(let vs):
            data = .scalar(timestamp: time, value: vs[0])
        case .rows(let rows):
            var vec = rows.compactMap { r in r.values[0].map { VectorSample(labels: r.labels, timestamp: time, value: $0) } }
            try Self.checkSeriesLimit(vec.count)
            if !Self.containsSort(s) { vec.sort { $0.labels.description < $1.labels.description } }
            data = .vector(vec)
        }
        var st = stats.value
        st.execTime = Double(DispatchTime.now().uptimeNanoseconds - began) / 1e9
        return LogQLResult(data: data, stats: st, warnings: reader.warnings)
    }

    /// An operation that only instant queries may use (sort, sort_desc, approx_topk).
    static func instantOnlyOp(_ e: SampleExpr) -> String? {
        switch e {
        case .vectorAggregation(let v):
            if v.op == .sort || v.op == .sortDesc || v.op == .approxTopk { return v.op.rawValue }
            return instantOnlyOp(v.inner)
        case .binary(let b): return instantOnlyOp(b.lhs) ?? instantOnlyOp(b.rhs)
        case .labelReplace(let l): return instantOnlyOp(l.inner)
        default: return nil
        }
    }

    /// Whether the result order comes from `sort`/`sort_desc` (kept through binary operators).
    static func containsSort(_ e: SampleExpr) -> Bool {
        switch e {
        case .vectorAggregation(let v): return v.op == .sort || v.op == .sortDesc || v.op == .topk || v.op == .bottomk
        case .binary(let b): return containsSort(b.lhs) || containsSort(b.rhs)
        case .labelReplace(let l): return containsSort(l.inner)
        default: return false
        }
    }

    /// Streams matching a selector (the series API; `{}`-style empty selectors allowed).
    public func series(_ selector: String, tenant: String, start: Int64, end: Int64) throws(LogQLError) -> [Labels] {
        let matchers = try LogQLParser.parseMatchers(selector)
        return reader.streams(tenant: tenant, matchers: matchers, from: start, through: end).map(\.labels)
    }

    /// Label names, or values of one label, optionally restricted by a selector.
    public func labels(tenant: String, name: String? = nil, selector: String? = nil, start: Int64, end: Int64) throws(LogQLError) -> [String] {
        let matchers = try selector.map { (s: String) throws(LogQLError) in try LogQLParser.parseMatchers(s) } ?? []
        if let name { return reader.labelValues(tenant: tenant, name: name, matchers: matchers, from: start, through: end) }
        if matchers.isEmpty { return reader.labelNames(tenant: tenant, from: start, through: end) }
        var names = Set<String>()
        for s in reader.streams(tenant: tenant, matchers: matchers, from: start, through: end) { for l in s.labels { names.insert(l.name) } }
        return names.sorted()
    }

    /// Compiles the pipeline of a log query (live tailing applies it to new entries).
    public static func pipeline(for q: String) throws(LogQLError) -> (matchers: [LabelMatcher], pipeline: LogPipeline) {
        guard case .log(let sel) = try LogQLParser.parse(q) else { throw .execution("tailing needs a log query") }
        return (sel.matchers, try LogPipeline(sel))
    }

    /// Loki's `interval`: keep at most one entry per interval per stream.
    static func applyInterval(_ streams: [StreamResult], interval: Int64, start: Int64, direction: Direction) -> [StreamResult] {
        streams.map { s in
            var out: [LogEntry] = []
            var lastBucket: Int64? = nil
            let ordered = direction == .forward ? s.entries : s.entries.reversed()
            for e in ordered {
                let bucket = (e.timestamp - start) / interval
                if bucket != lastBucket { out.append(e); lastBucket = bucket }
            }
            return StreamResult(labels: s.labels, entries: direction == .forward ? out : out.reversed())
        }
    }
}
