import KansokuCore

/// The comparison itself, over lines already read: no queries, no clock, so tests give it
/// synthetic windows and know what must rank first.
public struct ExplainAnalysis: Sendable {
    /// The lines whose values are counted (the window) and those they are compared with.
    public var window: [ExplainLine]
    public var baseline: [ExplainLine]
    /// The lines a pattern must be absent from to be new; `baseline` when nil. (The time-based
    /// baseline's matching lines, even when the ranking compares with all of its lines.)
    public var patternBaseline: [ExplainLine]?
    public var start: Int64
    public var end: Int64
    /// Labels every line has by construction (the selector's `=` matchers): never informative.
    public var ignoredLabels: Set<String> = []
    public var filters: [ExplainFilter] = []
    /// How many changed values to return.
    public var top = 20
    /// Buckets of each pattern's trend.
    public var trendWidth = 20

    public init(window: [ExplainLine], baseline: [ExplainLine], start: Int64, end: Int64) {
        self.window = window
        self.baseline = baseline
        self.start = start
        self.end = end
    }

    public struct Result: Sendable, Equatable {
        public var changes: [ChangedValue]
        public var patterns: [PatternSummary]
        public var skipped: [SkippedDimension]
        /// Window and baseline lines left after the filters.
        public var windowLines: Int
        public var baselineLines: Int
    }

    public func run(fields: LineFields = LineFields()) -> Result {
        // Patterns are learned from the window only; baseline lines are matched against them.
        var drain = LogPatterns()
        var table = LineValues()
        let windowRows = table.read(window, ignoredLabels: ignoredLabels, fields: fields, drain: &drain, learn: true)
        let baselineRows = table.read(baseline, ignoredLabels: ignoredLabels, fields: fields, drain: &drain, learn: false)
        let patternKey = table.keys.intern(ExplainDimension.patternName, tag: LineValues.tag(.pattern))
        let shown = ShownValues(table: table, rows: [windowRows, baselineRows], drain: drain, patternKey: patternKey)

        // A filter holds on a line that has one of the shown values it names.
        let filterSets: [[Int32]] = filters.map { f in
            (0..<Int32(table.keys.count)).compactMap { k in table.keys.string(k) == f.name ? shown.values.lookup(f.value, tag: k) : nil }
        }
        func count(_ rows: LineValues.Rows, into counts: inout [Int32], kept: (Int) -> Void) {
            for i in 0..<rows.count {
                let pattern = rows.patterns[i] >= 0 ? shown.pattern[Int(rows.patterns[i])] : -1
                let pairs = rows.pairs(of: i)
                let passes = filterSets.allSatisfy { set in
                    set.contains(pattern) || pairs.contains { set.contains(shown.ofPair[Int($0)]) }
                }
                guard passes else { continue }
                kept(i)
                for p in pairs where shown.ofPair[Int(p)] >= 0 { counts[Int(shown.ofPair[Int(p)])] += 1 }
                if pattern >= 0 { counts[Int(pattern)] += 1 }
            }
        }
        var windowCounts = [Int32](repeating: 0, count: shown.values.count)
        var baselineCounts = windowCounts
        var windowKept: [Int] = []
        var baselineKept = 0
        count(windowRows, into: &windowCounts) { windowKept.append($0) }
        count(baselineRows, into: &baselineCounts) { _ in baselineKept += 1 }

        let fixed = Set(filters.map(\.name))
        let w = Double(max(1, windowKept.count)), b = Double(max(1, baselineKept))
        var changes: [ChangedValue] = []
        for s in 0..<shown.values.count where windowCounts[s] >= 2 {
            let count = Int(windowCounts[s]), bc = Int(baselineCounts[s])
            let ws = Double(count) / w, bs = baselineKept == 0 ? 0 : Double(bc) / b
            guard ws > bs else { continue }
            let key = shown.values.tags[s]
            let name = table.keys.string(key)
            guard !fixed.contains(name) else { continue }
            let value = shown.values.string(Int32(s))
            // The filter's text is written for the changes returned only (below): most
            // candidates are cut by `top`, and quoting a value is not free.
            changes.append(ChangedValue(dimension: LineValues.dimension(table.keys.tags[Int(key)]), name: name, value: value,
                                        grouped: shown.profiles[Int(key)] != .keep,
                                        windowCount: count, windowShare: ws, baselineCount: bc, baselineShare: bs,
                                        score: ws - bs, filter: ""))
        }
        changes.sort { a, b in
            if a.score != b.score { return a.score > b.score }
            if a.windowCount != b.windowCount { return a.windowCount > b.windowCount }
            // A label or field can be filtered on and read at a glance; a pattern less so.
            if (a.dimension == .pattern) != (b.dimension == .pattern) { return b.dimension == .pattern }
            return (a.name, a.value) < (b.name, b.value)
        }

        var known: [Int]
        if let patternBaseline {
            known = [Int](repeating: 0, count: drain.count)
            for l in patternBaseline { if let p = drain.match(l.line) { known[p] += 1 } }
        } else {
            known = [Int](repeating: 0, count: drain.count)
            for p in baselineRows.patterns where p >= 0 { known[Int(p)] += 1 }
        }
        let patterns = summarise(drain, windowKept: windowKept, windowPattern: windowRows.patterns, known: known)
        var shownChanges = Array(changes.prefix(top))
        for i in shownChanges.indices {
            shownChanges[i].filter = ExplainFilter(name: shownChanges[i].name, value: shownChanges[i].value).logQL
        }
        return Result(changes: shownChanges, patterns: patterns,
                      skipped: shown.skipped, windowLines: windowKept.count, baselineLines: baselineKept)
    }

    /// The window's patterns over the kept lines, most frequent first, new ones marked against
    /// the pattern baseline.
    func summarise(_ drain: LogPatterns, windowKept: [Int], windowPattern: [Int32], known: [Int]) -> [PatternSummary] {
        var counts = [Int](repeating: 0, count: drain.count)
        var times = [[Int64]](repeating: [], count: drain.count)
        for i in windowKept {
            counts[Int(windowPattern[i])] += 1
            times[Int(windowPattern[i])].append(window[i].timestamp)
        }
        let order = (0..<drain.count).filter { counts[$0] > 0 }.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
        return order.enumerated().map { rank, p in
            let trend = LogPatterns.trend(times[p], start: start, end: end, width: trendWidth)
            return PatternSummary(id: "p\(rank + 1)", pattern: drain.text(of: p), count: counts[p], baselineCount: known[p],
                                  new: known[p] == 0, firstSeen: TimeFormatter.rfc3339Nano(times[p].min() ?? start),
                                  trend: trend, sparkline: LogPatterns.sparkline(trend))
        }
    }
}
