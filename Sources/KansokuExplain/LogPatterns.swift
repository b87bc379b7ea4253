/// Groups log lines into templates the way Drain does: tokens that look variable (numbers,
/// ids, hex, paths with digits) become `<*>`; lines with the same token count and first token
/// join the most similar template if at least half their tokens agree, and the template keeps
/// only the tokens all its lines share. Tokens are read on the line's bytes and interned, so a
/// template is an array of ids and comparing a line with one compares integers.
public struct LogPatterns: Sendable {
    public struct Pattern: Sendable, Equatable {
        public var text: String
        public var count: Int
        /// Line timestamps (ns), for the sparkline.
        public var timestamps: [Int64]
        /// Indexes of the lines (in the input order) that fell in this pattern.
        public var lines: [Int]
        /// No line of the baseline has this pattern (also when the baseline has no lines).
        public var isNew = false
        /// Baseline lines that fit this pattern.
        public var baselineCount = 0
        /// The earliest line's time (ns).
        public var firstSeen: Int64? { timestamps.min() }
    }

    /// Each template's token ids; `variable` stands for `<*>`.
    private(set) var templates: [[Int32]] = []
    private var counts: [Int] = []
    private var timestamps: [[Int64]] = []
    private var lines: [[Int]] = []
    private var baselineCounts: [Int] = []
    /// Templates by token count and first token (which never changes once a template exists).
    private var byShape: [Int: [Int32]] = [:]
    /// Token text; tag 1 marks `key=` tokens whose value was variable (shown as `key=<*>`).
    private var tokens = ByteInterner(capacity: 1024)
    /// The line being read, as token ids (kept to reuse its storage).
    private var scratch: [Int32] = []
    let similarity: Double

    public init(similarity: Double = 0.5) {
        self.similarity = similarity
        let star = tokens.intern("<*>")
        assert(star == Self.variable)
    }

    static let variable: Int32 = 0

    public var count: Int { templates.count }

    /// The patterns with their text, in the order they were first seen.
    public var patterns: [Pattern] {
        templates.indices.map { i in
            Pattern(text: text(of: i), count: counts[i], timestamps: timestamps[i], lines: lines[i],
                    isNew: baselineCounts[i] == 0, baselineCount: baselineCounts[i])
        }
    }

    /// The template of pattern `i` as text.
    public func text(of i: Int) -> String {
        var out: [UInt8] = []
        for (k, t) in templates[i].enumerated() {
            if k > 0 { out.append(0x20) }
            out.append(contentsOf: tokens.bytes(t))
            if tokens.tags[Int(t)] == 1 { out.append(contentsOf: "<*>".utf8) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether a token is variable: it has digits and is mostly digits or no `key=value`.
    static func isVariable(_ t: UnsafeRawBufferPointer) -> Bool {
        var digits = 0, equals = false
        for c in t {
            if c >= 48 && c <= 57 { digits += 1 } else if c == UInt8(ascii: "=") { equals = true }
        }
        return digits > 0 && (digits * 3 >= t.count || !equals)
    }

    /// Reads `line`'s tokens into `scratch`, interning new ones only when `learn` (a line
    /// matched against known templates cannot fit one through a token never seen).
    private mutating func tokenise(_ line: UnsafeRawBufferPointer, learn: Bool) {
        scratch.removeAll(keepingCapacity: true)
        let n = line.count
        var i = 0
        while i < n {
            while i < n, line[i] == 0x20 { i += 1 }
            guard i < n else { break }
            let s = i
            while i < n, line[i] != 0x20 { i += 1 }
            let t = UnsafeRawBufferPointer(rebasing: line[s..<i])
            var id: Int32?
            // `key=<*>` as text (a template read back, as a filter does) is the same token.
            if let eq = t.firstIndex(of: UInt8(ascii: "=")),
               case let value = UnsafeRawBufferPointer(rebasing: t[(eq + 1)...]), Self.isVariable(value) || value.elementsEqual("<*>".utf8) {
                let key = UnsafeRawBufferPointer(rebasing: t[...eq])
                id = learn ? tokens.intern(key, tag: 1) : tokens.lookup(key, tag: 1)
            } else if Self.isVariable(t) {
                id = Self.variable
            } else {
                id = learn ? tokens.intern(t) : tokens.lookup(t)
            }
            scratch.append(id ?? -1)
        }
    }

    private func shapeKey(_ toks: [Int32]) -> Int { toks.count << 32 | Int(UInt32(bitPattern: toks.first ?? -2)) }

    /// The pattern most similar to the scratch tokens, if similar enough to join it.
    private func bestMatch() -> Int? {
        guard let candidates = byShape[shapeKey(scratch)] else { return nil }
        var best = -1
        var bestScore = 0.0
        for c in candidates {
            let t = templates[Int(c)]
            var same = 0
            for k in 0..<t.count where t[k] == scratch[k] { same += 1 }
            let score = scratch.isEmpty ? 1 : Double(same) / Double(scratch.count)
            if score > bestScore { bestScore = score; best = Int(c) }
        }
        return best >= 0 && bestScore >= similarity ? best : nil
    }

    /// Adds a line; returns the index of the pattern it joined or started.
    @discardableResult
    public mutating func add(_ line: UnsafeRawBufferPointer, timestamp: Int64, index: Int) -> Int {
        tokenise(line, learn: true)
        if let best = bestMatch() {
            for k in 0..<scratch.count where templates[best][k] != scratch[k] { templates[best][k] = Self.variable }
            counts[best] += 1
            timestamps[best].append(timestamp)
            lines[best].append(index)
            return best
        }
        byShape[shapeKey(scratch), default: []].append(Int32(templates.count))
        templates.append(scratch)
        counts.append(1)
        timestamps.append([timestamp])
        lines.append([index])
        baselineCounts.append(0)
        return templates.count - 1
    }

    @discardableResult
    public mutating func add(_ line: String, timestamp: Int64, index: Int) -> Int {
        var line = line
        return line.withUTF8 { add(UnsafeRawBufferPointer($0), timestamp: timestamp, index: index) }
    }

    /// The pattern `line` fits without changing any template: every token the template keeps is
    /// the line's (a baseline line is matched, never learned from).
    public mutating func match(_ line: UnsafeRawBufferPointer) -> Int? {
        tokenise(line, learn: false)
        guard let candidates = byShape[shapeKey(scratch)] else { return nil }
        for c in candidates {
            let t = templates[Int(c)]
            var fits = true
            for k in 0..<t.count where t[k] != Self.variable && t[k] != scratch[k] { fits = false; break }
            if fits { return Int(c) }
        }
        return nil
    }

    public mutating func match(_ line: String) -> Int? {
        var line = line
        return line.withUTF8 { match(UnsafeRawBufferPointer($0)) }
    }

    /// Counts the baseline lines that fit each pattern; a pattern none fits is new. An empty
    /// baseline makes every pattern new: nothing like it was seen before.
    public mutating func compare(baseline: some Sequence<String>) {
        for line in baseline { if let i = match(line) { baselineCounts[i] += 1 } }
    }

    /// Patterns of `lines` (text and time), most frequent first; `baseline` marks which are new.
    public static func cluster(_ lines: [(line: String, timestamp: Int64)], baseline: [String]) -> [Pattern] {
        var p = LogPatterns()
        for (i, l) in lines.enumerated() { p.add(l.line, timestamp: l.timestamp, index: i) }
        p.compare(baseline: baseline)
        return p.patterns.sorted { $0.count > $1.count }
    }

    /// Line counts of `timestamps` over [start, end) in `width` buckets.
    public static func trend(_ timestamps: [Int64], start: Int64, end: Int64, width: Int) -> [Int] {
        guard width > 0, end > start else { return [] }
        var buckets = [Int](repeating: 0, count: width)
        let span = Double(end - start)
        for t in timestamps where t >= start && t < end {
            buckets[min(width - 1, Int(Double(t - start) / span * Double(width)))] += 1
        }
        return buckets
    }

    /// A sparkline of `timestamps` over [start, end) in `width` buckets.
    public static func sparkline(_ timestamps: [Int64], start: Int64, end: Int64, width: Int) -> String {
        sparkline(trend(timestamps, start: start, end: end, width: width))
    }

    /// A sparkline of bucket counts: empty buckets blank, the fullest a full block.
    public static func sparkline(_ buckets: [Int]) -> String {
        let bars = Array("▁▂▃▄▅▆▇█")
        let top = max(1, buckets.max() ?? 1)
        return String(buckets.map { $0 == 0 ? " " : bars[min(7, $0 * 8 / (top + 1))] })
    }
}
