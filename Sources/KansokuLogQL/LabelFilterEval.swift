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

    /// Loki's semantics: a converting filter (number, duration, bytes) drops an entry that lacks
    /// the label (it cannot see `__error__`); a value that does not convert marks the entry with
    /// `__error__="LabelFilterErr"` (the first failure owns the details) and keeps it. `ip()`
    /// keeps every entry that already carries an error.
    func process(_ lb: inout LabelsBuilder) -> Bool {
        func converting(_ name: String) -> String? {
            name == LabelsBuilder.errorLabel || name == LabelsBuilder.errorDetailsLabel ? nil : lb.get(name)
        }
        switch self {
        case .string(let m):
            return m.matches(lb.get(m.name) ?? "")
        case .number(let name, let op, let v):
            guard let s = converting(name) else { return false }
            guard let x = GoFloat.parse(s) else {
                lb.setError("LabelFilterErr", details: "strconv.ParseFloat: parsing \(goQuoted(s)): invalid syntax")
                return true
            }
            return op.compare(x, v)
        case .duration(let name, let op, let d):
            guard let s = converting(name) else { return false }
            guard let x = GoDuration.parse(s) else {
                lb.setError("LabelFilterErr", details: GoDuration.parseError(s))
                return true
            }
            return op.compare(Double(x), Double(d))
        case .bytes(let name, let op, let b):
            guard let s = converting(name) else { return false }
            guard let x = ByteSize.parse(s) else {
                let prefix = String(s.prefix { $0.isNumber || $0 == "." || $0 == "," })
                lb.setError("LabelFilterErr", details: "strconv.ParseFloat: parsing \(goQuoted(prefix)): invalid syntax")
                return true
            }
            return op.compare(Double(x), Double(b))
        case .ip(let name, let negated, let m):
            if lb.hasError { return true }
            guard let s = lb.get(name) else { return false }
            let bytes = Array(s.utf8)
            return bytes.withUnsafeBytes { m.matches(line: $0) } != negated
        case .and(let l, let r):
            return l.process(&lb) && r.process(&lb)
        case .or(let l, let r):
            if l.process(&lb) { return true }
            return r.process(&lb)
        }
    }
}
