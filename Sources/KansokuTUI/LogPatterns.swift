/// Groups log lines into templates the way Drain does: tokens that look variable (numbers,
/// ids, hex, paths with digits) become `<*>`; lines with the same token count and leading
/// tokens join the most similar template if at least half their tokens agree, and the
/// template keeps only the tokens all its lines share.
public struct LogPatterns: Sendable {
    public struct Pattern: Sendable, Equatable {
        public var template: [Substring]
        public var count: Int
        /// Line timestamps (ns), for the sparkline.
        public var timestamps: [Int64]
        /// Indexes of the lines (in the input order) that fell in this pattern.
        public var lines: [Int]
        /// Not seen in the baseline window.
        public var isNew = false
        public var text: String { template.joined(separator: " ") }
    }

    public private(set) var patterns: [Pattern] = []
    let similarity: Double

    public init(similarity: Double = 0.5) { self.similarity = similarity }

    static func isVariable(_ token: Substring) -> Bool {
        var digits = 0
        for c in token.utf8 where c >= 48 && c <= 57 { digits += 1 }
        return digits > 0 && (digits * 3 >= token.utf8.count || token.contains("=") == false)
    }

    static func tokens(_ line: String) -> [Substring] {
        line.split(separator: " ", omittingEmptySubsequences: true).map { t in
            if let eq = t.firstIndex(of: "="), isVariable(t[t.index(after: eq)...]) {
                return Substring(String(t[...eq]) + "<*>")
            }
            return isVariable(t) ? "<*>" : t
        }
    }

    public mutating func add(_ line: String, timestamp: Int64, index: Int) {
        let toks = Self.tokens(line)
        var best = -1
        var bestScore = 0.0
        for (i, p) in patterns.enumerated() where p.template.count == toks.count && p.template.first == toks.first {
            var same = 0
            for (a, b) in zip(p.template, toks) where a == b { same += 1 }
            let score = toks.isEmpty ? 1 : Double(same) / Double(toks.count)
            if score > bestScore { bestScore = score; best = i }
        }
        if best >= 0, bestScore >= similarity {
            for i in 0..<toks.count where patterns[best].template[i] != toks[i] { patterns[best].template[i] = "<*>" }
            patterns[best].count += 1
            patterns[best].timestamps.append(timestamp)
            patterns[best].lines.append(index)
        } else {
            patterns.append(Pattern(template: toks, count: 1, timestamps: [timestamp], lines: [index]))
        }
    }

    /// Patterns of `lines`, most frequent first; `baseline` marks which are new.
    public static func cluster(_ lines: [LogLine], baseline: [LogLine] = []) -> [Pattern] {
        var p = LogPatterns()
        for (i, l) in lines.enumerated() { p.add(l.line, timestamp: l.timestamp, index: i) }
        var b = LogPatterns()
        for (i, l) in baseline.enumerated() { b.add(l.line, timestamp: l.timestamp, index: i) }
        let known = b.patterns.map(\.template)
        var out = p.patterns
        for i in out.indices {
            out[i].isNew = !baseline.isEmpty && !known.contains { k in
                k.count == out[i].template.count && zip(k, out[i].template).filter { $0 == $1 }.count * 2 >= k.count
            }
        }
        return out.sorted { $0.count > $1.count }
    }

    /// A sparkline of `timestamps` over [start, end) in `width` buckets.
    public static func sparkline(_ timestamps: [Int64], start: Int64, end: Int64, width: Int) -> String {
        guard width > 0, end > start else { return "" }
        var buckets = [Int](repeating: 0, count: width)
        for t in timestamps where t >= start && t < end {
            buckets[Int((t - start) * Int64(width) / (end - start))] += 1
        }
        let bars = Array("▁▂▃▄▅▆▇█")
        let top = max(1, buckets.max() ?? 1)
        return String(buckets.map { $0 == 0 ? " " : bars[min(7, $0 * 8 / (top + 1))] })
    }
}
