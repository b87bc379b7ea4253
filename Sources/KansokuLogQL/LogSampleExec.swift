import KansokuCore
import KansokuLogStore

/// The pass behind `LogQLEngine.sampleRange`: blocks in spread order, in waves as wide as a
/// log query's, each block's lines split into the sides asked for.
enum LogSampleExec {
    /// A kept line and where it was read, so the sides come out in one order however the
    /// waves ran: by block (streams in label order, each one's blocks oldest first), then
    /// position in the block.
    struct Found: Sendable {
        var ts: Int64
        var task: Int
        var index: Int
        var labels: Labels
        var line: [UInt8]
    }

    /// One block's lines for each side, how many it met, and whether a stride passed any over.
    struct Part: Sendable {
        var sides: [[Found]] = [[], [], []]
        var seen = [0, 0, 0]
        var dropped = [false, false, false]
    }

    static let matchingSide = 0, otherSide = 1, allSide = 2

    /// `wave` blocks are read at once (a log query's width); the sample depends on it, so
    /// tests fix it.
    static func run(_ sel: LogSelectorExpr, reader: any LogReader, tenant: String, start: Int64, end: Int64, limit: Int,
                    sides: LogSample.Sides, wave: Int = BlockScan.parallelism * 2) async throws(LogQLError) -> LogSample {
        let pipeline = try LogPipeline(sel)
        var st = QueryStats()
        // Other lines live in blocks the query's literals rule out, so those are read too.
        let tasks = BlockScan.tasks(reader: reader, tenant: tenant, matchers: sel.matchers, from: start, through: end - 1,
                                    literals: sides.isEmpty ? pipeline.requiredLiterals : [], stats: &st)
        // The tasks come stream by stream (label order); each stream's blocks oldest first.
        let minTimes = tasks.map(\.block.minTime)
        var streams: [[Int]] = []
        for i in tasks.indices {
            if i == 0 || tasks[i].stream.id != tasks[i - 1].stream.id { streams.append([]) }
            streams[streams.count - 1].append(i)
        }
        let order = SpreadOrder.blocks(streams.map { $0.sorted { (minTimes[$0], $0) < (minTimes[$1], $1) } })
        let wanted = [true, sides.contains(.other), sides.contains(.all)]
        var kept = [SampleReservoir](repeating: SampleReservoir(limit: limit), count: 3)
        var next = 0
        let widest = max(1, wave), narrowest = min(BlockScan.parallelism, widest)
        while next < order.count, !(0..<3).allSatisfy({ !wanted[$0] || kept[$0].full }) {
            // As many blocks as the sides still short of lines need at the rate met so far, a
            // whole number of cores' worth, between one round of the cores and `wave`.
            let needed = (0..<3).filter { wanted[$0] }.map { kept[$0].blocksNeeded ?? widest }.max() ?? widest
            let width = min(widest, max(narrowest, (needed + narrowest - 1) / narrowest * narrowest))
            let batch = Array(order[next..<min(next + width, order.count)])
            next += batch.count
            for s in 0..<3 where wanted[s] { kept[s].prepare(blocks: batch.count) }
            let strides = kept.map(\.stride)
            let parts = try await BlockScan.map(batch) { (i: Int) throws -> Part in
                try scan(tasks[i], task: i, pipeline: pipeline, start: start, end: end, wanted: wanted, strides: strides)
            }
            for s in 0..<3 where wanted[s] {
                kept[s].add(parts.map { $0.sides[s] }, dropped: parts.contains { $0.dropped[s] },
                            read: parts.reduce(0) { $0 + $1.seen[s] }, blocks: parts.count)
            }
        }
        let unread = next < order.count
        func side(_ s: Int) -> LogSample.Side { wanted[s] ? kept[s].side(limit: limit, unread: unread) : LogSample.Side() }
        return LogSample(matching: side(matchingSide), other: side(otherSide), all: side(allSide), blocksRead: next, blocksInRange: order.count)
    }

    /// Splits one block's lines in `[start, end)` into the sides, keeping every `strides[s]`-th
    /// line of side `s`.
    static func scan(_ t: BlockTask, task: Int, pipeline: LogPipeline, start: Int64, end: Int64,
                     wanted: [Bool], strides: [Int]) throws -> Part {
        try t.block.withEntries { (e: BlockEntries) throws(LogQLError) -> Part in
            var part = Part()
            let lo = BlockScan.lowerBound(e.timestamps, start)
            let hi = BlockScan.lowerBound(e.timestamps, end)
            guard lo < hi else { return part }
            let labels = t.stream.labels
            // Whether side s takes its next line (and counts it either way).
            func takes(_ s: Int) -> Bool {
                defer { part.seen[s] += 1 }
                if part.seen[s] % strides[s] == 0 { return true }
                part.dropped[s] = true
                return false
            }
            var hits: [Int] = []
            let fast = e.metadata.isEmpty && pipeline.forEachMatchingLine(e, lo, hi) { hits.append($0) }
            if fast, !wanted[otherSide], !wanted[allSide] {
                for k in hits where takes(matchingSide) {
                    part.sides[matchingSide].append(Found(ts: e.timestamps[k], task: task, index: k, labels: labels, line: Array(e.line(k))))
                }
                return part
            }
            var h = 0
            for k in lo..<hi {
                let line = e.line(k)
                let md = e.metadata.isEmpty ? Labels() : e.metadata[k]
                let matched: Bool
                var out: (labels: Labels, line: [UInt8]?) = (labels, nil)
                if fast {
                    while h < hits.count, hits[h] < k { h += 1 }
                    matched = h < hits.count && hits[h] == k
                } else if pipeline.isFilterOnly && md.isEmpty {
                    matched = pipeline.matchesLine(line)
                } else {
                    var lb = LabelsBuilder(base: labels)
                    if !md.isEmpty { lb.addMetadata(md) }
                    let result = pipeline.run(timestamp: e.timestamps[k], line: line, builder: &lb)
                    matched = result != nil
                    if let result { out = (lb.labels(), result) }
                }
                if matched, takes(matchingSide) {
                    part.sides[matchingSide].append(Found(ts: e.timestamps[k], task: task, index: k, labels: out.labels, line: out.line ?? Array(line)))
                }
                let other = wanted[otherSide] && !matched && takes(otherSide)
                let all = wanted[allSide] && takes(allSide)
                guard other || all else { continue }
                let stored = Found(ts: e.timestamps[k], task: task, index: k, labels: md.isEmpty ? labels : LogPipeline.merge(labels, md),
                                   line: Array(line))
                if other { part.sides[otherSide].append(stored) }
                if all { part.sides[allSide].append(stored) }
            }
            return part
        }
    }
}
