import KansokuCore
import KansokuLogStore
import Foundation

/// One unit of parallel work: a block of a matched stream.
struct BlockTask: Sendable {
    let stream: StreamInfo
    let block: any ReadableBlock
}

enum BlockScan {
    static let parallelism = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Matched streams' blocks overlapping `[from, through]`, without those a literal rules out.
    /// `ordered` keeps streams in label order (log queries break ties between equal
    /// timestamps by it); metric queries take them as the store finds them.
    /// `answered`, when given, sees every block's facts first (streams one after another, a
    /// stream's whole stored chunks, when its reader knows their facts, before its blocks) and
    /// keeps those it can answer without reading them (returning true): they become no task.
    static func tasks(reader: any LogReader, tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64,
                      literals: [(bytes: [UInt8], caseInsensitive: Bool)], ordered: Bool = true,
                      stats: inout QueryStats, answered: ((StreamInfo, BlockFacts) -> Bool)? = nil) -> [BlockTask] {
        var out: [BlockTask] = []
        func take(_ s: StreamInfo, _ blocks: StreamBlocks) {
            stats.streamsMatched += 1
            for b in blocks {
                if b.maxTime < from || b.minTime > through { continue }
                if literals.contains(where: { !b.mayContain(literal: $0.bytes, caseInsensitive: $0.caseInsensitive) }) {
                    stats.blocksSkippedByBloom += 1
                    continue
                }
                if let answered, answered(s, b.facts) { continue }
                out.append(BlockTask(stream: s, block: b))
            }
        }
        if ordered {
            for s in reader.streams(tenant: tenant, matchers: matchers, from: from, through: through) {
                take(s, StreamBlocks(reader.blocks(tenant: tenant, stream: s.id, from: from, through: through)))
            }
        } else {
            // A chunk answered whole has no block a literal could rule out first.
            var fromIndex = 0
            let chunkAnswered = answered.map { answered in
                { (s: StreamInfo, f: BlockFacts) -> Bool in
                    guard answered(s, f) else { return false }
                    fromIndex += 1
                    return true
                }
            }
            reader.forEachStreamBlocks(tenant: tenant, matchers: matchers, from: from, through: through,
                                       answered: literals.isEmpty ? chunkAnswered : nil, take)
            stats.chunksAnsweredFromIndex += fromIndex
        }
        return out
    }

    /// Tasks in runs of about 1 MiB of lines (at most 4,096 blocks): a query over many small
    /// streams pays the pool's hand-off once per run, not once per block. Order is kept.
    static func groups(_ tasks: [BlockTask]) -> [[BlockTask]] {
        var out: [[BlockTask]] = []
        var current: [BlockTask] = []
        var bytes = 0
        for t in tasks {
            current.append(t)
            bytes += t.block.rawSize
            if bytes >= 1 << 20 || current.count >= 4096 {
                out.append(current)
                current = []
                bytes = 0
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// Maps `work` over `items` on the task's scan pool (for users' queries below ingestion's
    /// priority, see `ScanPool`); results keep order. The query's limits travel with the work; a cancelled
    /// query (timeout, client gone) stops before its next block.
    static func map<Item: Sendable, T: Sendable>(_ items: [Item], _ body: @escaping @Sendable (Item) throws -> T) async throws(LogQLError) -> [T] {
        if items.isEmpty { return [] }
        let limits = LogQLLimits.current
        if items.count == 1 && !ScanPool.current.lowered {
            // One batch of the server's own (at most about 1 MiB of lines, a rule's usual scan)
            // runs on the calling thread: handing it to a pool thread and back would cost two
            // wake-ups, each up to a time slice on a busy core, for under a millisecond of work.
            guard !Task.isCancelled else { throw .cancelled }
            do { return [try body(items[0])] } catch { throw asLogQLError(error) }
        }
        do {
            return try await ScanPool.current.map(items.count) { i in
                try LogQLLimits.$current.withValue(limits) { try body(items[i]) }
            }
        } catch is CancellationError {
            throw LogQLError.cancelled
        } catch {
            throw asLogQLError(error)
        }
    }

    static func asLogQLError(_ e: any Error) -> LogQLError {
        if let l = e as? LogQLError { return l }
        return .execution("\(e)")
    }

    /// First index with timestamp >= t.
    static func lowerBound(_ ts: UnsafeBufferPointer<Int64>, _ t: Int64) -> Int {
        var lo = 0, hi = ts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ts[mid] < t { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
