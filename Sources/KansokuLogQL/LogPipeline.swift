public import KansokuCore

/// A compiled log pipeline: line filters, parsers, label filters and formatters, run on one
/// entry at a time. The server's tail endpoint and the engine both use it.
public final class LogPipeline: Sendable {
    enum Stage: Sendable {
        case lineFilter(CompiledLineFilter)
        case json(JSONStage)
        case logfmt(LogfmtStage)
        case regexp(RegexpStage)
        case pattern(PatternStage)
        case unpack
        case labelFilter(CompiledLabelFilter)
        case lineFormat(LineTemplate)
        case labelFormat([(name: String, source: String, template: LineTemplate?)])
        case decolorize
        case drop([NamedLabelMatcher])
        case keep([NamedLabelMatcher])
    }

    let stages: [Stage]
    /// Only line filters: entries keep their stream labels and line.
    public let isFilterOnly: Bool
    /// No stage changes the labels (line filters, line_format, decolorize only).
    public let keepsLabels: Bool
    /// Literals every kept line contains (for block skipping), from leading line filters.
    public let requiredLiterals: [(bytes: [UInt8], caseInsensitive: Bool)]
    let lineFilters: [CompiledLineFilter]
    /// Literal filters flattened into one allocation, so the per-line check touches no
    /// reference counts (nil when a filter needs a regex, pattern, ip or alternatives).
    nonisolated(unsafe) let literalChecks: UnsafeMutableBufferPointer<LiteralCheck>?
    nonisolated(unsafe) let literalBytes: UnsafeMutableRawBufferPointer?

    struct LiteralCheck {
        var offset: Int
        var count: Int
        var folded: Bool
        var negated: Bool
    }

    public convenience init(_ expr: LogSelectorExpr) throws(LogQLError) {
        try self.init(stages: expr.stages)
    }

    public init(stages src: [PipelineStage]) throws(LogQLError) {
        var out: [Stage] = []
        var filterOnly = true, keeps = true
        var literals: [(bytes: [UInt8], caseInsensitive: Bool)] = []
        var leading = true
        var filters: [CompiledLineFilter] = []
        for s in src {
            switch s {
            case .lineFilter(let f):
                let c = try CompiledLineFilter(f)
                out.append(.lineFilter(c))
                filters.append(c)
                if leading, let lit = c.requiredLiteral { literals.append((lit.bytes, lit.folded)) }
                continue
            case .parser(let p):
                switch p {
                case .json(let params): out.append(.json(try JSONStage(params)))
                case .logfmt(let strict, let keepEmpty, let params):
                    out.append(.logfmt(LogfmtStage(strict: strict, keepEmpty: keepEmpty, params: params)))
                case .regexp(let r): out.append(.regexp(try RegexpStage(r)))
                case .pattern(let p):
                    do { out.append(.pattern(PatternStage(matcher: try PatternMatcher(p, forLineFilter: false)))) } catch {
                        throw .execution(error.message)
                    }
                case .unpack: out.append(.unpack)
                }
                keeps = false
            case .labelFilter(let f):
                out.append(.labelFilter(try CompiledLabelFilter(f)))
                keeps = false
            case .lineFormat(let t):
                out.append(.lineFormat(try LineTemplate(t)))
            case .labelFormat(let items):
                var c: [(String, String, LineTemplate?)] = []
                for it in items { c.append((it.name, it.source, it.isTemplate ? try LineTemplate(it.source) : nil)) }
                out.append(.labelFormat(c))
                keeps = false
            case .decolorize:
                out.append(.decolorize)
            case .drop(let m):
                out.append(.drop(m)); keeps = false
            case .keep(let m):
                out.append(.keep(m)); keeps = false
            }
            filterOnly = false
            leading = false
        }
        stages = out
        isFilterOnly = filterOnly
        keepsLabels = keeps
        requiredLiterals = literals
        lineFilters = filters
        var checks: [LiteralCheck] = []
        var bytes: [UInt8] = []
        var flat = !filters.isEmpty
        for f in filters {
            guard f.alternatives.count == 1 else { flat = false; break }
            switch f.alternatives[0] {
            case .literal(let n): checks.append(LiteralCheck(offset: bytes.count, count: n.count, folded: false, negated: f.negated)); bytes += n
            case .foldedLiteral(let n): checks.append(LiteralCheck(offset: bytes.count, count: n.count, folded: true, negated: f.negated)); bytes += n
            case .all: checks.append(LiteralCheck(offset: bytes.count, count: 0, folded: false, negated: f.negated))
            default: flat = false
            }
        }
        if flat {
            let c = UnsafeMutableBufferPointer<LiteralCheck>.allocate(capacity: checks.count)
            _ = c.initialize(from: checks)
            let b = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
            b.copyBytes(from: bytes)
            literalChecks = c
            literalBytes = b
        } else {
            literalChecks = nil
            literalBytes = nil
        }
    }

    deinit {
        literalChecks?.deallocate()
        literalBytes?.deallocate()
    }

    /// The fast path for filter-only pipelines: whether the raw line passes.
    /// For a pipeline that is a single positive literal filter, searches the block's line
    /// buffer in one pass (no per-line call) and calls `body` with each matching line index in
    /// `lo..<hi`, ascending. Returns false (and calls nothing) for any other pipeline.
    func forEachMatchingLine(_ e: BlockEntries, _ lo: Int, _ hi: Int, _ body: (Int) -> Void) -> Bool {
        guard isFilterOnly, let checks = literalChecks, let bytes = literalBytes, checks.count == 1, !checks[0].negated, checks[0].count > 0 else {
            return false
        }
        let c = checks[0]
        let needle = UnsafeRawBufferPointer(rebasing: bytes[c.offset..<(c.offset + c.count)])
        let starts = e.starts
        var pos = starts[lo]
        let end = starts[hi]
        while pos < end {
            let region = UnsafeRawBufferPointer(rebasing: e.bytes[pos..<end])
            guard let off = c.folded ? ByteSearch.findFolded(needle, in: region) : ByteSearch.find(needle, in: region) else { break }
            let p = pos + off
            // the line holding p: the last k in lo..<hi with starts[k] <= p
            var a = lo, b = hi
            while b - a > 1 {
                let mid = (a + b) / 2
                if starts[mid] <= p { a = mid } else { b = mid }
            }
            if p + c.count <= starts[a + 1] {
                body(a)
                pos = starts[a + 1]
            } else {
                pos = p + 1 // the match crosses into the next line
            }
        }
        return true
    }

    @inline(__always) public func matchesLine(_ line: UnsafeRawBufferPointer) -> Bool {
        if let checks = literalChecks, let bytes = literalBytes {
            for c in checks {
                let needle = UnsafeRawBufferPointer(rebasing: bytes[c.offset..<(c.offset + c.count)])
                let hit = c.folded ? ByteSearch.containsFolded(needle, in: line) : ByteSearch.find(needle, in: line) != nil
                if hit == c.negated { return false }
            }
            return true
        }
        for f in lineFilters where !f.keep(line) { return false }
        return true
    }

    /// Runs every stage; nil when the entry is filtered out. `line` is the (possibly
    /// rewritten) line; `labels` holds stream labels, metadata and extracted labels.
    func run(timestamp: Int64, line: UnsafeRawBufferPointer, builder lb: inout LabelsBuilder) -> [UInt8]?? {
        var owned: [UInt8]? = nil
        for stage in stages {
            let keep: Bool = withLine(owned, line) { cur in
                switch stage {
                case .lineFilter(let f): return f.keep(cur)
                case .json(let j): j.process(cur, &lb); return true
                case .logfmt(let l): l.process(cur, &lb); return true
                case .regexp(let r): r.process(cur, &lb); return true
                case .pattern(let p): p.process(cur, &lb); return true
                case .unpack:
                    if let e = UnpackStage.process(cur, &lb) { owned = e }
                    return true
                case .labelFilter(let f): return f.process(&lb)
                case .lineFormat(let t):
                    switch t.render(labels: lb.map(), line: String(decoding: cur, as: UTF8.self), timestamp: timestamp) {
                    case .success(let s): owned = Array(s.utf8)
                    case .failure(let e): lb.setError("TemplateFormatErr", details: e.message)
                    }
                    return true
                case .labelFormat(let items):
                    let snapshot = lb.map()
                    let text = String(decoding: cur, as: UTF8.self)
                    var renamedAway: [String] = []
                    for (name, source, template) in items {
                        if let template {
                            switch template.render(labels: snapshot, line: text, timestamp: timestamp) {
                            case .success(let s): lb.set(name, s)
                            case .failure(let e): lb.setError("TemplateFormatErr", details: e.message)
                            }
                        } else if let v = snapshot[source] {
                            lb.set(name, v)
                            if source != name { renamedAway.append(source) }
                        }
                    }
                    for s in renamedAway where !items.contains(where: { $0.name == s }) { lb.delete(s) }
                    return true
                case .decolorize:
                    owned = Decolorize.strip(cur)
                    return true
                case .drop(let ms):
                    for m in ms {
                        guard let v = lb.get(m.name) else { continue }
                        if let matcher = m.matcher, !matcher.matches(v) { continue }
                        lb.delete(m.name)
                    }
                    return true
                case .keep(let ms):
                    let all = lb.map()
                    for (name, v) in all {
                        let kept = ms.contains { m in m.name == name && (m.matcher?.matches(v) ?? true) }
                        if !kept { lb.delete(name) }
                    }
                    return true
                }
            }
            if !keep { return .none }
        }
        return .some(owned)
    }

    @inline(__always) private func withLine<R>(_ owned: [UInt8]?, _ line: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let owned { return owned.withUnsafeBytes(body) }
        return body(line)
    }

    /// The result of running a pipeline on one entry.
    public struct Output: Sendable {
        public var keep: Bool
        public var line: [UInt8]
        public var labels: Labels
    }

    /// Runs the pipeline on one entry (tailing, tests). Filtered entries return `keep == false`.
    public func process(labels: Labels, line: [UInt8], timestamp: Int64 = 0, metadata: Labels = Labels()) -> Output {
        if isFilterOnly {
            let ok = line.withUnsafeBytes { matchesLine($0) }
            return Output(keep: ok, line: line, labels: metadata.isEmpty ? labels : Self.merge(labels, metadata))
        }
        var lb = LabelsBuilder(base: labels)
        if !metadata.isEmpty { lb.addMetadata(metadata) }
        let r = line.withUnsafeBytes { run(timestamp: timestamp, line: $0, builder: &lb) }
        guard let newLine = r else { return Output(keep: false, line: line, labels: labels) }
        return Output(keep: true, line: newLine ?? line, labels: lb.labels())
    }

    static func merge(_ labels: Labels, _ md: Labels) -> Labels {
        var lb = LabelsBuilder(base: labels)
        lb.addMetadata(md)
        return lb.labels()
    }
}

/// Removes ANSI escape sequences (colors, cursor codes).
enum Decolorize {
    static let regex = try! RE2Regex("[\\x1b\\x{9b}][\\[\\]()#;?]*(?:(?:(?:[a-zA-Z\\d]*(?:;[a-zA-Z\\d]*)*)?\\x07)|(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PRZcf-ntqry=><~]))")

    static func strip(_ line: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(line.count)
        var pos = 0
        while pos < line.count, let m = regex.firstMatch(in: line, from: pos) {
            out.append(contentsOf: line[pos..<m.lowerBound])
            pos = m.isEmpty ? m.upperBound + 1 : m.upperBound
            if m.isEmpty, m.lowerBound < line.count { out.append(line[m.lowerBound]) }
        }
        if pos < line.count { out.append(contentsOf: line[pos...]) }
        return out
    }
}
