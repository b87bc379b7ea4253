public import KansokuCore
public import KansokuMetricStore

extension MetricStore: Queryable {
    /// The store's selection in the engine's shape (struct of arrays, stale markers kept).
    public func selectSeries(matchers: [LabelMatcher], from: Int64, through: Int64) async throws -> [QueryableSeries] {
        selectColumns(matchers: matchers, from: from, through: through)
    }

    public func selectLatest(matchers: [LabelMatcher], from: Int64, through: Int64) async throws -> [QueryableSeries] {
        selectColumns(matchers: matchers, from: from, through: through, newestOnly: true)
    }
}
