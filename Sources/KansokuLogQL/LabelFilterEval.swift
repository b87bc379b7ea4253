import KansokuCore

/// A label filter ready to run.
indirect enum CompiledLabelFilter: Sendable {
    case string(LabelMatcher)
    case number(String, ComparisonOp, Double)
    case duration(String, ComparisonOp, Int64)
    case bytes(String, ComparisonOp, UInt64)
    case ip(String, Bool, IPMatcher)
    case and(CompiledLabelFilter, CompiledLabelFilter)
    case or(CompiledLabelFilter, CompiledLabelFilter)

    init(_ e: LabelFilterExpr) throws(LogQLError) {
        switch e {
        case .string(let m): self = .string(m)
        case .number(let n, let op, let v): self = .number(n, op, v)
        case .duration(let n, let op, let d): self = .duration(n, op, d)
        case .bytes(let n, let op, let b): self = .bytes(n, op, b)
        case .ip(let n, let neg, let p):
            do { self = .ip(n, neg, try IPMatcher(p)) } catch { throw .execution("ip: invalid pattern: \(p)") }
        case .and(let l, let r): self = .and(try CompiledLabelFilter(l), try CompiledLabelFilter(r))
        case .or(let l, let r): self = .or(try CompiledLabelFilter(l), try CompiledLabelFilter(r))
        }
    }

    /// Loki's semantics: a value that does not convert marks the entry with
    /// `__error__="LabelFilterErr"` and keeps it; a missing label fails the predicate.
    func process(_ lb: inout LabelsBuilder) -> Bool {
        switch self {
        case .string(let m):
            return m.matches(lb.get(m.name) ?? "")
        case .number(let name, let op, let v):
            if lb.hasError { return true }
            guard let s = lb.get(name) else { return false }
            guard let x = parseGoFloat(s) else {
                lb.setError("LabelFilterErr", details: "strconv.ParseFloat: parsing \(goQuoted(s)): invalid syntax")
                return true
            }
            return op.compare(x, v)
        case .duration(let name, let op, let d):
            if lb.hasError { return true }
            guard let s = lb.get(name) else { return false }
            guard let x = DurationParsing.parseGo(s) else {
                lb.setError("LabelFilterErr", details: "time: invalid duration \(goQuoted(s))")
                return true
            }
            return op.compare(Double(x), Double(d))
        case .bytes(let name, let op, let b):
            if lb.hasError { return true }
            guard let s = lb.get(name) else { return false }
            guard let x = ByteSize.parse(s.replacingOccurrences(of: " ", with: "")) else {
                lb.setError("LabelFilterErr", details: "strconv.ParseFloat: parsing \(goQuoted(s)): invalid syntax")
                return true
            }
            return op.compare(Double(x), Double(b))
        case .ip(let name, let negated, let m):
            guard let s = lb.get(name) else { return false }
            return m.matches(value: Array(s.utf8)) != negated
        case .and(let l, let r):
            return l.process(&lb) && r.process(&lb)
        case .or(let l, let r):
            if l.process(&lb) { return true }
            return r.process(&lb)
        }
    }
}
