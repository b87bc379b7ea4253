public import KansokuCore
public import KansokuLogStore

/// Where tailed lines go: the log store, seen through the two operations tailing needs.
public protocol LogSink: Sendable {
    /// Stores entries; returns once they are durable (see `LogStore.append`).
    func append(_ batches: [StreamBatch]) async throws(LogStoreError) -> AppendResult
    /// The stored entries of exactly the stream `labels` with timestamps in `[from, through]`,
    /// oldest first: used after a crash to find which lines of an unconfirmed batch are stored.
    func storedEntries(tenant: String, labels: Labels, from: Int64, through: Int64) throws(LogStoreError) -> [LogEntry]
}

extension LogStore: LogSink {
    public func storedEntries(tenant: String, labels: Labels, from: Int64, through: Int64) throws(LogStoreError) -> [LogEntry] {
        var matchers: [LabelMatcher] = []
        for l in labels {
            // Equality matchers never fail to compile.
            if let m = try? LabelMatcher(name: l.name, type: .equal, value: l.value) { matchers.append(m) }
        }
        let through = through == Int64.max ? through : through + 1
        let found = try select(LogSelect(tenant: tenant, matchers: matchers, from: from, through: through,
                                         direction: .forward, limit: 0))
        return found.filter { $0.stream.labels == labels }.flatMap(\.entries)
    }
}
