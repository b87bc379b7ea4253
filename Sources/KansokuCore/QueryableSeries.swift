/// A stored series as the PromQL engine reads it: a label set (with `__name__`) and its
/// samples in time order, as two columns. Values may include stale markers. Stores build
/// these directly (it lives here, below both the stores and the engine), so selecting
/// 100,000 series goes through no generic code.
public struct QueryableSeries: Sendable, Hashable {
    public var labels: Labels
    public var timestamps: [Int64]
    public var values: [Double]

    public init(labels: Labels, timestamps: [Int64], values: [Double]) {
        self.labels = labels
        self.timestamps = timestamps
        self.values = values
    }
}

extension QueryableSeries {
    /// The series with only its newest sample.
    public var keepingNewest: QueryableSeries {
        guard timestamps.count > 1 else { return self }
        return QueryableSeries(labels: labels, timestamps: [timestamps.last!], values: [values.last!])
    }
}
