import KansokuCore
import KansokuLogQL
import KansokuLogStore

extension LogQLEngine {
    /// A range query as the shape the API and CLI print, with Loki-style statistics.
    func queryRangeModel(_ q: String, tenant: String, start: Int64, end: Int64, step: Int64, interval: Int64?,
                         direction: Direction, limit: Int) async throws -> (QueryResultModel, QueryStatsSummary) {
        let r = try await queryRange(q, tenant: tenant, start: start, end: end, step: step, interval: interval,
                                     direction: direction, limit: limit)
        return (Self.model(r.data), Self.summary(r))
    }

    /// An instant (metric) query as the shape the API and CLI print.
    func instantQueryModel(_ q: String, tenant: String, time: Int64, direction: Direction,
                           limit: Int) async throws -> (QueryResultModel, QueryStatsSummary) {
        let r = try await queryInstant(q, tenant: tenant, time: time, direction: direction, limit: limit)
        return (Self.model(r.data), Self.summary(r))
    }

    static func model(_ d: LogQLData) -> QueryResultModel {
        switch d {
        case .streams(let streams):
            return .streams(streams.map { s in
                .init(labels: s.labels, lines: s.entries.map { .init(timestamp: $0.timestamp, line: String(decoding: $0.line, as: UTF8.self)) })
            })
        case .vector(let v):
            return .vector(v.map { .init(labels: $0.labels, points: [.init(timestampMillis: $0.timestamp / 1_000_000, value: $0.value)]) })
        case .matrix(let m):
            return .matrix(m.map { s in .init(labels: s.labels, points: s.points.map { .init(timestampMillis: $0.timestamp / 1_000_000, value: $0.value) }) })
        case .scalar(let t, let v):
            return .scalar(.init(timestampMillis: t / 1_000_000, value: v))
        }
    }

    static func summary(_ r: LogQLResult) -> QueryStatsSummary {
        var s = QueryStatsSummary()
        s.bytesProcessed = Int64(r.stats.bytesProcessed)
        s.linesProcessed = Int64(r.stats.linesProcessed)
        s.execTimeSeconds = r.stats.execTime
        s.chunksRef = r.stats.blocksRead + r.stats.blocksSkippedByBloom + r.stats.blocksSkippedByLimit
        s.chunksDecompressed = r.stats.chunksDecompressed
        s.blocksSkippedByBloom = r.stats.blocksSkippedByBloom
        s.streamsMatched = r.stats.streamsMatched
        s.warnings = r.warnings
        if case .streams(let streams) = r.data { s.entriesReturned = streams.reduce(0) { $0 + $1.entries.count } }
        return s
    }
}
