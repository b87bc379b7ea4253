import KansokuCore

/// Query statistics reported in Loki's `data.stats` (a subset of its summary and store fields
/// that Grafana shows in the query inspector).
public struct QueryStatsSummary: Sendable {
    public var bytesProcessed: Int64 = 0
    public var linesProcessed: Int64 = 0
    public var execTimeSeconds: Double = 0
    public var entriesReturned: Int = 0
    public var chunksRef: Int = 0
    public var chunksDecompressed: Int = 0
    public var blocksSkippedByBloom: Int = 0
    public var compressedBytes: Int64 = 0
    public init() {}
}

extension JSONWriter {
    /// Writes `data` of a query answer: `{"resultType":…,"result":…[,"stats":…]}`.
    mutating func queryData(_ result: QueryResultModel, stats: QueryStatsSummary?) {
        beginObject()
        switch result {
        case .streams(let streams):
            field("resultType", "streams")
            key("result"); beginArray()
            for s in streams {
                beginObject()
                key("stream"); labels(s.labels)
                key("values"); beginArray()
                for l in s.lines { beginArray(); string(String(l.timestamp)); string(l.line); endArray() }
                endArray()
                endObject()
            }
            endArray()
        case .vector(let series):
            field("resultType", "vector")
            key("result"); beginArray()
            for s in series {
                beginObject()
                key("metric"); labels(s.labels)
                if let p = s.points.first { key("value"); point(p) }
                endObject()
            }
            endArray()
        case .matrix(let series):
            field("resultType", "matrix")
            key("result"); beginArray()
            for s in series {
                beginObject()
                key("metric"); labels(s.labels)
                key("values"); beginArray(); for p in s.points { point(p) }; endArray()
                endObject()
            }
            endArray()
        case .scalar(let p):
            field("resultType", "scalar")
            key("result"); point(p)
        case .string(let t, let s):
            field("resultType", "string")
            key("result"); beginArray(); raw(formatUnixSeconds(millis: t)); string(s); endArray()
        }
        if let stats { key("stats"); queryStats(stats) }
        endObject()
    }

    mutating func point(_ p: QueryResultModel.Point) {
        beginArray()
        raw(formatUnixSeconds(millis: p.timestampMillis))
        string(formatPromFloat(p.value))
        endArray()
    }

    mutating func queryStats(_ s: QueryStatsSummary) {
        beginObject()
        key("summary"); beginObject()
        let secs = max(s.execTimeSeconds, 1e-9)
        field("bytesProcessedPerSecond", Int(Double(s.bytesProcessed) / secs))
        field("linesProcessedPerSecond", Int(Double(s.linesProcessed) / secs))
        key("totalBytesProcessed"); int(s.bytesProcessed)
        key("totalLinesProcessed"); int(s.linesProcessed)
        key("execTime"); raw(String(s.execTimeSeconds))
        key("queueTime"); raw("0")
        field("subqueries", 0)
        field("totalEntriesReturned", s.entriesReturned)
        field("splits", 0)
        field("shards", 0)
        endObject()
        key("querier"); beginObject()
        key("store"); beginObject()
        field("totalChunksRef", s.chunksRef)
        field("totalChunksDownloaded", s.chunksDecompressed)
        field("chunksDownloadTime", 0)
        key("chunk"); beginObject()
        key("compressedBytes"); int(s.compressedBytes)
        key("decompressedBytes"); int(s.bytesProcessed)
        key("decompressedLines"); int(s.linesProcessed)
        field("headChunkBytes", 0)
        field("headChunkLines", 0)
        field("totalDuplicates", 0)
        endObject()
        endObject()
        endObject()
        key("index"); beginObject()
        field("totalChunks", s.chunksRef)
        field("postFilterChunks", s.chunksRef - s.blocksSkippedByBloom)
        field("usedBloomFilters", s.blocksSkippedByBloom > 0 ? 1 : 0)
        endObject()
        endObject()
    }
}
