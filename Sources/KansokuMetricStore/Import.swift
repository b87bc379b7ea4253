public import KansokuCore

/// What a backfill wrote.
public struct MetricImportResult: Sendable, Hashable {
    public var samples: Int = 0
    public var series: Int = 0
    public var blocks: Int = 0
    /// Repeated timestamps of one series (the first value wins).
    public var duplicates: Int = 0
    public init() {}
}

extension MetricStore {
    /// Writes historical samples straight into blocks, one per block-duration-aligned window
    /// (as `promtool tsdb create-blocks-from openmetrics` does), bypassing head and WAL.
    /// Input may come in any order; it is buffered up to `maxBufferedSamples` and flushed as
    /// blocks, overlapping ones are merged by the next compaction. The blocks are durable and
    /// queryable when this returns.
    public func importBlocks(
        samples: some Sequence<(Labels, Int64, Double)>, maxBufferedSamples: Int = 20_000_000
    ) async throws(MetricStoreError) -> MetricImportResult {
        var result = MetricImportResult()
        var windows: [Int64: [Labels: [Sample]]] = [:]
        var buffered = 0
        var seriesSeen = Set<Labels>()
        var lastLabels: Labels?
        var lastWindow = Int64.min
        var lastKey: Labels?
        let bd = config.blockDuration

        func flush() throws(MetricStoreError) {
            for (start, series) in windows {
                var lo = Int64.max, hi = Int64.min
                var prepared: [(Labels, [ChunkMeta])] = []
                prepared.reserveCapacity(series.count)
                for (labels, raw) in series {
                    let clean = BlockSet.sortedUnique(raw)
                    result.duplicates += raw.count - clean.count
                    result.samples += clean.count
                    lo = min(lo, clean.first!.t)
                    hi = max(hi, clean.last!.t)
                    prepared.append((labels, BlockSet.rechunk(clean)))
                }
                guard lo <= hi else { continue }
                _ = start
                let block = try BlockWriter.write(
                    directory: config.directory, minT: lo, maxT: hi + 1, series: prepared,
                    origin: .import, level: 1, sources: [], format: config.sealedChunkFormat)
                blocks.add(block)
                result.blocks += 1
            }
            windows.removeAll()
            buffered = 0
            lastKey = nil
        }

        for (labels, t, v) in samples {
            let window = MemSeries.rangeEnd(t, bd) - bd
            // Series-major input repeats the previous label set: skip hashing it again.
            if let lk = lastKey, window == lastWindow, lk == labels {
                windows[window]![lk]!.append(Sample(t: t, v: v))
            } else {
                let interned = lastLabels == labels ? lastLabels! : labels
                windows[window, default: [:]][interned, default: []].append(Sample(t: t, v: v))
                if lastLabels != labels { seriesSeen.insert(labels) }
                lastLabels = interned
                lastKey = interned
                lastWindow = window
            }
            buffered += 1
            if buffered >= maxBufferedSamples { try flush() }
        }
        try flush()
        result.series = seriesSeen.count
        try await compact()
        return result
    }
}
