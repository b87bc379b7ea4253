import KansokuCore

/// A log query larger than one request may return (a server caps each at its
/// `max_entries_limit_per_query`), fetched in batches as logcli fetches it: each batch asks
/// for at most `batchSize` lines, and the next one starts (forward) or ends (backward) at the
/// timestamp of the last line received. Several lines may share that timestamp, so the lines
/// at it are remembered and dropped when the next batch returns them again; unlike logcli,
/// a line is told apart by its stream as well as its text, so equal lines of two streams at
/// one instant are both kept.
public struct LogQueryPager: Sendable {
    /// The most lines in all; 0 fetches every line of the range.
    public var limit: Int
    public var batchSize: Int
    public var forward: Bool

    public init(limit: Int, batchSize: Int, forward: Bool) {
        self.limit = limit
        self.batchSize = batchSize
        self.forward = forward
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// More lines share one timestamp than a batch holds, so paging cannot move past them.
        case batchTooSmall(batchSize: Int, sameTimestamp: Int)

        public var description: String {
            switch self {
            case .batchTooSmall(let b, let n):
                return "--batch \(b) is too small: \(n) lines share one timestamp and every batch must hold them all; use --batch \(n + 1) or more"
            }
        }
    }

    /// Asks `fetch(limit, start, end)` for batch after batch and hands each batch's new lines
    /// to `emit`. A result that is not log lines (a metric query) is emitted once, whole.
    /// Returns how many lines were emitted.
    @discardableResult
    public func run(start: Int64, end: Int64,
                    fetch: (_ limit: Int, _ start: Int64, _ end: Int64) async throws -> QueryResultModel,
                    emit: (QueryResultModel) throws -> Void) async throws -> Int {
        let wanted = limit == 0 ? Int.max : limit
        let batch = min(batchSize, wanted)
        var (from, through) = (start, end)
        var total = 0
        var boundary: (timestamp: Int64, seen: Set<LineKey>)?
        while total < wanted {
            var size = batch
            // The last batch asks only for what is missing, plus the lines it will drop again.
            if wanted - total < batch { size = wanted - total + (boundary?.seen.count ?? 0) }
            let result = try await fetch(size, from, through)
            guard case .streams(let streams) = result else {
                try emit(result)
                return 0
            }
            var fresh: [QueryResultModel.Stream] = []
            var edge: Int64?
            var shown = 0
            for s in streams {
                var lines: [QueryResultModel.Line] = []
                for l in s.lines {
                    if edge.map({ forward ? l.timestamp > $0 : l.timestamp < $0 }) ?? true { edge = l.timestamp }
                    if let b = boundary, l.timestamp == b.timestamp, b.seen.contains(LineKey(labels: s.labels, line: l.line)) { continue }
                    if shown + total < wanted { lines.append(l); shown += 1 }
                }
                if !lines.isEmpty { fresh.append(.init(labels: s.labels, lines: lines)) }
            }
            if shown > 0 { try emit(.streams(fresh)) }
            total += shown
            // A batch with nothing new: the range holds no more. (A short batch is not taken as
            // the end, since a server may cap a request below what was asked.)
            guard shown > 0, let last = edge else { break }
            var seen = Set<LineKey>()
            for s in streams { for l in s.lines where l.timestamp == last { seen.insert(LineKey(labels: s.labels, line: l.line)) } }
            if seen.count >= batch { throw Failure.batchTooSmall(batchSize: batch, sameTimestamp: seen.count) }
            boundary = (last, seen)
            if forward { from = last } else { through = last + 1 }
        }
        return total
    }

    struct LineKey: Hashable {
        var labels: Labels
        var line: String
    }
}
