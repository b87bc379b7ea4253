import KansokuCore
import KansokuLogStore

/// The steps of a query as windows `(t - offset - range, t - offset]`, and which of them hold
/// a timestamp. Entries come in time order within a block, so the last answer is kept with
/// the span of timestamps it holds for, and most entries take no search.
struct StepWindows: Sendable {
    let steps: [Int64]
    let offset: Int64
    let range: Int64

    /// Timestamps in `[validFrom, validThrough]` are held by `held`.
    struct Cursor {
        var validFrom = Int64.max
        var validThrough = Int64.min
        var held = 0..<0
    }

    /// The steps whose window holds `ts`: those with `ts + offset <= t < ts + offset + range`.
    @inline(__always) func holding(_ ts: Int64, _ c: inout Cursor) -> Range<Int> {
        if ts >= c.validFrom && ts <= c.validThrough { return c.held }
        let lo = Self.add(ts, offset), hi = Self.add(lo, range)
        let first = lowerBound(lo), end = lowerBound(hi)
        // `first` stays while lo is in (steps[first-1], steps[first]], `end` while hi is in
        // (steps[end-1], steps[end]]; ts may move as far as both allow.
        var from = Int64.min, through = Int64.max
        if first > 0 { from = max(from, Self.add(Self.add(steps[first - 1], -offset), 1)) }
        if first < steps.count { through = min(through, Self.add(steps[first], -offset)) }
        if end > 0 { from = max(from, Self.add(Self.add(Self.add(steps[end - 1], -offset), -range), 1)) }
        if end < steps.count { through = min(through, Self.add(Self.add(steps[end], -offset), -range)) }
        c = Cursor(validFrom: from, validThrough: through, held: first..<max(first, end))
        return c.held
    }

    /// `a + b`, held at the ends of Int64 instead of trapping (times near them are valid).
    @inline(__always) static func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (r, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : r
    }

    func lowerBound(_ t: Int64) -> Int {
        var lo = 0, hi = steps.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if steps[mid] < t { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}

/// How many lines, and how many line bytes, each step's window of one series holds, kept as
/// difference arrays (an entry adds at its first window and takes away past its last), so
/// adding an entry costs the same however many windows overlap.
struct WindowSums: Sendable {
    var lines: [Int]
    var bytes: [Int]

    init(steps: Int, bytes withBytes: Bool) {
        lines = [Int](repeating: 0, count: steps + 1)
        bytes = withBytes ? [Int](repeating: 0, count: steps + 1) : []
    }

    @inline(__always) mutating func add(_ held: Range<Int>, lines n: Int, bytes b: Int) {
        guard !held.isEmpty else { return }
        lines[held.lowerBound] &+= n
        lines[held.upperBound] &-= n
        if !bytes.isEmpty {
            bytes[held.lowerBound] &+= b
            bytes[held.upperBound] &-= b
        }
    }

    /// Back to no lines, keeping the arrays for the next series.
    mutating func clear() {
        for i in lines.indices { lines[i] = 0 }
        for i in bytes.indices { bytes[i] = 0 }
    }

    mutating func add(_ o: WindowSums) {
        for i in lines.indices { lines[i] &+= o.lines[i] }
        for i in bytes.indices { bytes[i] &+= o.bytes[i] }
    }

    /// Per step: (lines, bytes) in its window.
    func totals() -> [(lines: Int, bytes: Int)] {
        var out: [(lines: Int, bytes: Int)] = []
        out.reserveCapacity(lines.count - 1)
        var l = 0, b = 0
        for i in 0..<(lines.count - 1) {
            l &+= lines[i]
            if !bytes.isEmpty { b &+= bytes[i] }
            out.append((l, b))
        }
        return out
    }
}

/// `count_over_time`, `rate`, `bytes_over_time` and `bytes_rate` without `unwrap`: they need
/// only how many lines and line bytes each window holds, so scans add them up per window as
/// they go and keep no sample per line. A block wholly inside one set of windows whose every
/// entry counts as its stream's (no pipeline stage, no structured metadata) is answered from
/// its entry count and raw size, without being decompressed.
enum WindowCounts {
    static func applies(_ op: RangeOp, _ range: LogRangeExpr) -> Bool {
        guard range.unwrap == nil else { return false }
        switch op {
        case .countOverTime, .rate, .bytesOverTime, .bytesRate: return true
        default: return false
        }
    }

    /// What scans of a run of blocks found: per stream for entries whose series is their
    /// stream's, by labels for entries the pipeline gave labels of their own.
    struct Part: Sendable {
        var streams: [(stream: StreamInfo, sums: WindowSums)] = []
        var byLabels: [Labels: WindowSums] = [:]

        mutating func add(stream: StreamInfo, _ s: WindowSums) {
            if let last = streams.indices.last, streams[last].stream.id == stream.id {
                streams[last].sums.add(s)
            } else {
                streams.append((stream, s))
            }
        }

        mutating func merge(_ o: Part) {
            for (stream, s) in o.streams { add(stream: stream, s) }
            for (labels, s) in o.byLabels {
                if byLabels[labels] == nil { byLabels[labels] = s } else { byLabels[labels]!.add(s) }
            }
        }

        /// One entry per series. A stream in `split` (counted from facts and read as well) may
        /// have several entries, apart: its counts are added into one.
        func series(split: Set<UInt64>) -> [(labels: Labels, sums: WindowSums)] {
            var out: [(labels: Labels, sums: WindowSums)] = []
            out.reserveCapacity(streams.count)
            var at: [UInt64: Int] = [:]
            for (stream, s) in streams {
                if split.contains(stream.id) {
                    if let i = at[stream.id] {
                        out[i].sums.add(s)
                        continue
                    }
                    at[stream.id] = out.count
                }
                out.append((stream.labels, s))
            }
            if byLabels.isEmpty { return out }
            var all = byLabels
            for (labels, s) in out {
                if all[labels] == nil { all[labels] = s } else { all[labels]!.add(s) }
            }
            return all.map { ($0.key, $0.value) }
        }
    }

    /// Per series, per step: lines and line bytes in the step's window.
    static func collect(_ range: LogRangeExpr, op: RangeOp, windows: StepWindows, reader: any LogReader, tenant: String,
                        lo: Int64, hi: Int64, stats: StatsCollector) async throws(LogQLError) -> [(labels: Labels, sums: WindowSums)] {
        let pipeline = try LogPipeline(range.selector)
        let withBytes = op == .bytesOverTime || op == .bytesRate
        var st = QueryStats()
        // Blocks answered from their entry count and raw size are added up here, in the one
        // pass that lists them: a query over many small streams (one per camera, say) then
        // copies nothing per stream into tasks, groups and parts, each copy a cache miss.
        var counted = Part()
        var cursor = StepWindows.Cursor()
        var countedStats = QueryStats()
        let answered: ((StreamInfo, BlockFacts) -> Bool)? = pipeline.stages.isEmpty ? { stream, b in
            guard let held = countedWindows(b, windows: windows, lo: lo, hi: hi, cursor: &cursor) else { return false }
            var sums = WindowSums(steps: windows.steps.count, bytes: withBytes)
            sums.add(held, lines: b.entryCount, bytes: b.rawSize)
            counted.add(stream: stream, sums)
            countedStats.linesProcessed += b.entryCount
            countedStats.bytesProcessed += b.rawSize
            return true
        } : nil
        let tasks = BlockScan.tasks(reader: reader, tenant: tenant, matchers: range.selector.matchers, from: lo + 1, through: hi,
                                    literals: pipeline.requiredLiterals, ordered: false, stats: &st, answered: answered)
        st.add(countedStats)
        let parts = try await BlockScan.map(BlockScan.groups(tasks)) { (group: [BlockTask]) throws -> (Part, QueryStats) in
            var part = Part()
            var st = QueryStats()
            for t in group {
                try scan(t, pipeline: pipeline, windows: windows, withBytes: withBytes, lo: lo, hi: hi, into: &part, stats: &st)
            }
            return (part, st)
        }
        var merged = counted
        for (p, s) in parts {
            st.add(s)
            merged.merge(p)
        }
        stats.add(st)
        return merged.series(split: Set(tasks.lazy.map(\.stream.id)))
    }

    static func scan(_ t: BlockTask, pipeline: LogPipeline, windows: StepWindows, withBytes: Bool, lo: Int64, hi: Int64,
                     into out: inout Part, stats st: inout QueryStats) throws {
        let b = t.block
        var cursor = StepWindows.Cursor()
        st.blocksRead += 1
        if b.isCompressed { st.chunksDecompressed += 1 }
        try b.withEntries { (e: BlockEntries) throws(LogQLError) in
            let first = BlockScan.lowerBound(e.timestamps, lo + 1)
            let end = BlockScan.lowerBound(e.timestamps, hi + 1)
            guard first < end else { return }
            st.linesProcessed += end - first
            st.bytesProcessed += e.starts[end] - e.starts[first]
            if pipeline.isFilterOnly && e.metadata.isEmpty {
                // The series is the stream; no per-line allocation.
                var sums = WindowSums(steps: windows.steps.count, bytes: withBytes)
                let whole = pipeline.forEachMatchingLine(e, first, end) { k in
                    sums.add(windows.holding(e.timestamps[k], &cursor), lines: 1, bytes: e.starts[k + 1] - e.starts[k])
                }
                if !whole {
                    for k in first..<end where pipeline.matchesLine(e.line(k)) {
                        sums.add(windows.holding(e.timestamps[k], &cursor), lines: 1, bytes: e.starts[k + 1] - e.starts[k])
                    }
                }
                out.add(stream: t.stream, sums)
                return
            }
            for k in first..<end {
                let line = e.line(k)
                var lb = LabelsBuilder(base: t.stream.labels)
                if !e.metadata.isEmpty, !e.metadata[k].isEmpty { lb.addMetadata(e.metadata[k]) }
                guard let newLine = pipeline.run(timestamp: e.timestamps[k], line: line, builder: &lb) else { continue }
                let labels = lb.labels()
                if out.byLabels[labels] == nil { out.byLabels[labels] = WindowSums(steps: windows.steps.count, bytes: withBytes) }
                out.byLabels[labels]!.add(windows.holding(e.timestamps[k], &cursor), lines: 1, bytes: newLine?.count ?? line.count)
            }
        }
    }

    /// The windows that hold every entry of `b`, when its entry count and raw size answer
    /// for it: no pipeline stage (the caller's check), no structured metadata, wholly inside
    /// `(lo, hi]` and inside one set of windows. Nil when the block must be read.
    static func countedWindows(_ b: BlockFacts, windows: StepWindows, lo: Int64, hi: Int64,
                               cursor: inout StepWindows.Cursor) -> Range<Int>? {
        guard b.withoutMetadata, b.minTime > lo, b.maxTime <= hi else { return nil }
        let held = windows.holding(b.minTime, &cursor)
        return held == windows.holding(b.maxTime, &cursor) ? held : nil
    }

    /// The value of `op` for a window of `lines` lines and `bytes` line bytes (nil when empty).
    static func value(_ op: RangeOp, lines: Int, bytes: Int, rangeSeconds: Double) -> Double? {
        guard lines > 0 else { return nil }
        switch op {
        case .countOverTime: return Double(lines)
        case .rate: return Double(lines) / rangeSeconds
        case .bytesOverTime: return Double(bytes)
        case .bytesRate: return Double(bytes) / rangeSeconds
        default: return nil
        }
    }
}
