public import KansokuCore
public import KansokuMetricStore

extension MetricStore: Queryable {
    /// The store's selection in the engine's shape (struct of arrays, stale markers kept).
    public func selectSeries(matchers: [LabelMatcher], from: Int64, through: Int64) async throws -> [QueryableSeries] {
        let found: [SeriesSamples] = select(matchers: matchers, from: from, through: through)
        return found.map { s in
            var ts: [Int64] = [], vs: [Double] = []
            ts.reserveCapacity(s.samples.count)
            vs.reserveCapacity(s.samples.count)
            for x in s.samples {
                ts.append(x.t)
                vs.append(x.v)
            }
            return QueryableSeries(labels: s.labels, timestamps: ts, values: vs)
        }
    }
}
