import KansokuCore
import KansokuLogStore

/// Log (streams) queries: newest or oldest `limit` entries in `[start, end)`, over blocks read
/// in parallel in time order, stopping once no remaining block can improve the result.
enum LogQueryExec {
    struct Found: Sendable {
        var ts: Int64
        var labels: Labels
        var line: [UInt8]
    }

    static func run(_ expr: LogSelectorExpr, reader: any LogReader, tenant: String, start: Int64, end: Int64,
                    direction: Direction, limit: Int, stats: StatsCollector) async throws(LogQLError) -> [StreamResult] {
        let pipeline = try LogPipeline(expr)
        var st = QueryStats()
        var tasks = BlockScan.tasks(reader: reader, tenant: tenant, matchers: expr.matchers, from: start, through: end - 1,
                                    literals: pipeline.requiredLiterals, stats: &st)
        let backward = direction == .backward
        if backward { tasks.sort { $0.block.maxTime > $1.block.maxTime } } else { tasks.sort { $0.block.minTime < $1.block.minTime } }
        let cap = limit <= 0 ? Int.max : limit
        var kept: [Found] = []
        var i = 0
        let wave = BlockScan.parallelism * 2
        while i < tasks.count {
            if kept.count >= cap {
                // the worst kept entry bounds what later blocks could contribute
                let edge = kept[kept.count - 1].ts
                let b = tasks[i].block
                if backward ? b.maxTime < edge : b.minTime > edge {
                    st.blocksSkippedByLimit += tasks.count - i
                    break
                }
            }
            let batch = Array(tasks[i..<min(i + wave, tasks.count)])
            i += batch.count
            let parts = try await BlockScan.map(batch) { (t: BlockTask) throws -> ([Found], QueryStats) in
                try scanBlock(t, pipeline: pipeline, start: start, end: end, backward: backward, cap: cap)
            }
            for (found, s) in parts {
                kept.append(contentsOf: found)
                st.add(s)
            }
            if backward { kept.sort { $0.ts > $1.ts } } else { kept.sort { $0.ts < $1.ts } }
            if kept.count > cap { kept.removeLast(kept.count - cap) }
        }
        stats.add(st)
        var byLabels: [Labels: [LogEntry]] = [:]
        var order: [Labels] = []
        for f in kept {
            if byLabels[f.labels] == nil { order.append(f.labels) }
            byLabels[f.labels, default: []].append(LogEntry(timestamp: f.ts, line: f.line))
        }
        return order.map { StreamResult(labels: $0, entries: byLabels[$0]!) }
    }

    static func scanBlock(_ t: BlockTask, pipeline: LogPipeline, start: Int64, end: Int64, backward: Bool, cap: Int) throws -> ([Found], QueryStats) {
        var st = QueryStats()
        st.blocksRead = 1
        if t.block.isCompressed { st.chunksDecompressed = 1 }
        var lines = 0, bytes = 0
        let found: [Found] = try t.block.withEntries { (e: BlockEntries) throws(LogQLError) -> [Found] in
            var out: [Found] = []
            let lo = BlockScan.lowerBound(e.timestamps, start)
            let hi = BlockScan.lowerBound(e.timestamps, end)
            guard lo < hi else { return out }
            if e.metadata.isEmpty {
                var hits: [Int] = []
                if pipeline.forEachMatchingLine(e, lo, hi, { hits.append($0) }) {
                    lines = hi - lo
                    bytes = e.starts[hi] - e.starts[lo]
                    let chosen = backward ? Array(hits.reversed().prefix(cap)) : Array(hits.prefix(cap))
                    for k in chosen { out.append(Found(ts: e.timestamps[k], labels: t.stream.labels, line: Array(e.line(k)))) }
                    return out
                }
            }
            var k = backward ? hi - 1 : lo
            while backward ? k >= lo : k < hi {
                defer { k += backward ? -1 : 1 }
                let line = e.line(k)
                lines &+= 1
                bytes &+= line.count
                let md = e.metadata.isEmpty ? Labels() : e.metadata[k]
                if pipeline.isFilterOnly && md.isEmpty {
                    guard pipeline.matchesLine(line) else { continue }
                    out.append(Found(ts: e.timestamps[k], labels: t.stream.labels, line: Array(line)))
                } else {
                    var lb = LabelsBuilder(base: t.stream.labels)
                    if !md.isEmpty { lb.addMetadata(md) }
                    guard let newLine = pipeline.run(timestamp: e.timestamps[k], line: line, builder: &lb) else { continue }
                    out.append(Found(ts: e.timestamps[k], labels: lb.labels(), line: newLine ?? Array(line)))
                }
                if out.count >= cap { break }
            }
            return out
        }
        st.linesProcessed = lines
        st.bytesProcessed = bytes
        return (found, st)
    }
}
