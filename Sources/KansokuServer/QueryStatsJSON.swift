import KansokuCore

/// Loki's `data.stats` object (`stats.Result` in `pkg/logqlmodel/stats`), every field present as
/// Loki writes it: its JSON tags carry no `omitempty`, and clients decode it with the Go types,
/// so a field's kind matters as much as its name. Counters and nanosecond durations are
/// integers (`int64`), `execTime` and `queueTime` are float seconds, and the flags are booleans;
/// logcli refuses the whole answer when, say, `usedBloomFilters` is a number.
extension JSONWriter {
    mutating func queryStats(_ s: QueryStatsSummary) {
        beginObject()
        key("summary"); beginObject()
        let seconds = max(s.execTimeSeconds, 1e-9)
        key("bytesProcessedPerSecond"); int(Self.perSecond(s.bytesProcessed, seconds))
        key("linesProcessedPerSecond"); int(Self.perSecond(s.linesProcessed, seconds))
        key("totalBytesProcessed"); int(s.bytesProcessed)
        key("totalLinesProcessed"); int(s.linesProcessed)
        key("execTime"); raw(goFloat(s.execTimeSeconds))
        key("queueTime"); raw("0")
        field("subqueries", 0)
        field("totalEntriesReturned", s.entriesReturned)
        field("splits", 0)
        field("shards", 0)
        field("totalPostFilterLines", 0)
        field("totalStructuredMetadataBytesProcessed", 0)
        endObject()

        key("querier"); beginObject()
        key("store"); storeStats(s)
        field("querierExecTime", 0)
        endObject()

        // Kansoku has no separate ingesters: everything is counted under `querier`.
        key("ingester"); beginObject()
        for name in ["totalReached", "totalChunksMatched", "totalBatches", "totalLinesSent"] { field(name, 0) }
        key("store"); storeStats(QueryStatsSummary())
        endObject()

        key("cache"); beginObject()
        for cache in Self.cacheNames {
            key(cache); beginObject()
            for name in Self.cacheFields { field(name, 0) }
            endObject()
        }
        endObject()

        key("index"); beginObject()
        field("totalChunks", s.chunksRef)
        field("postFilterChunks", s.chunksRef - s.blocksSkippedByBloom)
        field("shardsDuration", 0)
        key("usedBloomFilters"); bool(s.blocksSkippedByBloom > 0)
        field("totalStreams", s.streamsMatched)
        field("chunkRefsLookupTime", 0)
        field("bloomFilterTime", 0)
        endObject()
        endObject()
    }

    private mutating func storeStats(_ s: QueryStatsSummary) {
        beginObject()
        field("totalChunksRef", s.chunksRef)
        field("totalChunksDownloaded", s.chunksDecompressed)
        field("chunksDownloadTime", 0)
        key("queryReferencedStructuredMetadata"); bool(false)
        key("queryUsedV2Engine"); bool(false)
        key("chunk"); beginObject()
        field("headChunkBytes", 0)
        field("headChunkLines", 0)
        key("decompressedBytes"); int(s.bytesProcessed)
        key("decompressedLines"); int(s.linesProcessed)
        key("compressedBytes"); int(s.compressedBytes)
        field("totalDuplicates", 0)
        field("postFilterLines", 0)
        field("headChunkStructuredMetadataBytes", 0)
        field("decompressedStructuredMetadataBytes", 0)
        endObject()
        field("chunkRefsFetchTime", 0)
        field("congestionControlLatency", 0)
        field("pipelineWrapperFilteredLines", 0)
        key("dataobj"); beginObject()
        for name in Self.dataObjectFields { field(name, 0) }
        endObject()
        endObject()
    }

    private static let cacheNames = ["chunk", "index", "result", "statsResult", "volumeResult", "seriesResult",
                                     "labelResult", "instantMetricResult", "logResult", "taskResult"]
    private static let cacheFields = ["entriesFound", "entriesRequested", "entriesStored", "bytesReceived", "bytesSent",
                                      "requests", "downloadTime", "queryLengthServed"]
    private static let dataObjectFields = [
        "prePredicateDecompressedRows", "prePredicateDecompressedBytes", "prePredicateDecompressedStructuredMetadataBytes",
        "postPredicateRows", "postPredicateDecompressedBytes", "postPredicateStructuredMetadataBytes", "postFilterRows",
        "pagesScanned", "pagesDownloaded", "pagesDownloadedBytes", "pageBatches", "totalRowsAvailable",
        "totalPageDownloadTime", "wireBytesTransferred",
    ]

    /// A rate as an int64, saturated: a tiny execution time must not overflow the conversion.
    private static func perSecond(_ count: Int64, _ seconds: Double) -> Int64 {
        let rate = Double(count) / seconds
        return rate < 9.2e18 ? Int64(max(0, rate)) : Int64.max
    }

    /// A float as Go's encoding/json writes one: never an exponent for ordinary durations, and
    /// always a valid JSON number (a NaN or infinite duration cannot happen, but writes 0).
    private func goFloat(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        return GoFloat.fixed(v)
    }
}
