import KansokuCore

/// What a LogQL query measured, reported in Loki's `data.stats` (`QueryStatsJSON.swift`).
public struct QueryStatsSummary: Sendable {
    public var bytesProcessed: Int64 = 0
    public var linesProcessed: Int64 = 0
    public var execTimeSeconds: Double = 0
    public var entriesReturned: Int = 0
    public var chunksRef: Int = 0
    public var chunksDecompressed: Int = 0
    public var blocksSkippedByBloom: Int = 0
    public var compressedBytes: Int64 = 0
    public var streamsMatched: Int = 0
    /// Sources a querier could not reach; the answer holds what the others had.
    public var warnings: [String] = []
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
        string(GoFloat.fixed(p.value))
        endArray()
    }
}
