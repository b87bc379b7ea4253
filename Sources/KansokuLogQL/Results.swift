public import KansokuCore
public import KansokuLogStore
import Synchronization

/// One stream of a log query's result: its final labels and entries in query direction.
public struct StreamResult: Sendable {
    public var labels: Labels
    public var entries: [LogEntry]

    public init(labels: Labels, entries: [LogEntry]) {
        self.labels = labels
        self.entries = entries
    }
}

/// One sample of an instant vector.
public struct VectorSample: Sendable, Hashable {
    public var labels: Labels
    /// Unix ns.
    public var timestamp: Int64
    public var value: Double
}

/// A point of a range-query series.
public struct SeriesPoint: Sendable, Hashable {
    public var timestamp: Int64
    public var value: Double
}

public struct SeriesResult: Sendable {
    public var labels: Labels
    public var points: [SeriesPoint]
}

/// The data a query returns, in Loki's result types.
public enum LogQLData: Sendable {
    case streams([StreamResult])
    case vector([VectorSample])
    case matrix([SeriesResult])
    case scalar(timestamp: Int64, value: Double)

    /// Loki's `resultType` name.
    public var resultType: String {
        switch self {
        case .streams: return "streams"
        case .vector: return "vector"
        case .matrix: return "matrix"
        case .scalar: return "scalar"
        }
    }
}

/// What a query cost; the server renders it as Loki's `stats`.
public struct QueryStats: Sendable {
    /// Uncompressed line bytes scanned.
    public var bytesProcessed: Int = 0
    public var linesProcessed: Int = 0
    /// Blocks whose token filter ruled them out.
    public var blocksSkippedByBloom: Int = 0
    /// Blocks skipped by time (stopped early once the limit was met).
    public var blocksSkippedByLimit: Int = 0
    public var blocksRead: Int = 0
    /// Compressed blocks that were decoded.
    public var chunksDecompressed: Int = 0
    public var streamsMatched: Int = 0
    /// Stored chunks counted from their index entry, without their metas being read.
    public var chunksAnsweredFromIndex: Int = 0
    /// Wall time in seconds.
    public var execTime: Double = 0

    public init() {}

    mutating func add(_ o: QueryStats) {
        bytesProcessed += o.bytesProcessed
        linesProcessed += o.linesProcessed
        blocksSkippedByBloom += o.blocksSkippedByBloom
        blocksSkippedByLimit += o.blocksSkippedByLimit
        blocksRead += o.blocksRead
        chunksDecompressed += o.chunksDecompressed
        streamsMatched += o.streamsMatched
        chunksAnsweredFromIndex += o.chunksAnsweredFromIndex
    }
}

/// A query's data and its statistics.
public struct LogQLResult: Sendable {
    public var data: LogQLData
    public var stats: QueryStats
    /// Sources the reader could not reach: the result holds what the others had.
    public var warnings: [String] = []
}

/// Statistics gathered from concurrent block tasks.
final class StatsCollector: Sendable {
    let stats = Mutex(QueryStats())
    func add(_ s: QueryStats) { stats.withLock { $0.add(s) } }
    var value: QueryStats { stats.withLock { $0 } }
}
