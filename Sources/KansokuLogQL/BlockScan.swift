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
    static func tasks(reader: any LogReader, tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64,
                      literals: [(bytes: [UInt8], caseInsensitive: Bool)], stats: inout QueryStats) -> [BlockTask] {
        let streams = reader.streams(tenant: tenant, matchers: matchers, from: from, through: through)
        stats.streamsMatched += streams.count
        var out: [BlockTask] = []
        for s in streams {
            for b in reader.blocks(tenant: tenant, stream: s.id, from: from, through: through) {
                if b.maxTime < from || b.minTime > through { continue }
                if literals.contains(where: { !b.mayContain(literal: $0.bytes, caseInsensitive: $0.caseInsensitive) }) {
                    stats.blocksSkippedByBloom += 1
                    continue
                }
                out.append(BlockTask(stream: s, block: b))
            }
        }
        return out
    }

    /// Maps `work` over `items` on the task's scan pool (for users' queries below ingestion's
    /// priority, see `ScanPool`); results keep order. The query's limits travel with the work; a cancelled
    /// query (timeout, client gone) stops before its next block.
    static func map<T: Sendable>(_ items: [BlockTask], _ body: @escaping @Sendable (BlockTask) throws -> T) async throws(LogQLError) -> [T] {
        if items.isEmpty { return [] }
        let limits = LogQLLimits.current
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
