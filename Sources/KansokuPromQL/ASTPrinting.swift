import KansokuCore

extension PromQLExpr: CustomStringConvertible {
    /// The expression printed as Prometheus prints it (`sum by (job) (rate(x[5m]))`).
    public var description: String {
        switch self {
        case .number(let v): return GoFloat.shortest(v)
        case .string(let s): return goQuoted(s)
        case .vectorSelector(let v): return v.description
        case .matrixSelector(let m):
            var bare = m.selector
            bare.at = nil
            bare.offset = 0
            bare.hasOffset = false
            bare.offsetExpr = nil
            let range = m.rangeExpr?.description ?? PromDuration(milliseconds: m.range).description
            bare.modifier = nil
            let mod = m.selector.modifier.map { " " + $0.rawValue } ?? ""
            return bare.description + "[\(range)]" + mod + atString(m.selector.at) + offsetString(m.selector.offset, m.selector.offsetExpr)
        case .subquery(let s):
            let step = s.stepExpr?.description ?? s.step.map { PromDuration(milliseconds: $0).description } ?? ""
            let range = s.rangeExpr?.description ?? PromDuration(milliseconds: s.range).description
            return "\(s.expr)[\(range):\(step)]" + atString(s.at) + offsetString(s.offset, s.offsetExpr)
        case .call(let c): return "\(c.name)(" + c.args.map(\.description).joined(separator: ", ") + ")"
        case .aggregate(let a):
            var s = a.op.rawValue
            if a.without {
                s += " without (" + a.grouping.joined(separator: ", ") + ") "
            } else if !a.grouping.isEmpty {
                s += " by (" + a.grouping.joined(separator: ", ") + ") "
            }
            s += "("
            if let p = a.param { s += "\(p), " }
            return s + "\(a.expr))"
        case .binary(let b):
            var s = "\(b.lhs) \(b.op.rawValue)"
            if b.returnBool { s += " bool" }
            if let m = b.matching, m.on || !m.matchingLabels.isEmpty {
                s += (m.on ? " on" : " ignoring") + " (" + m.matchingLabels.joined(separator: ", ") + ")"
                if m.cardinality == .manyToOne || m.cardinality == .oneToMany {
                    s += (m.cardinality == .manyToOne ? " group_left" : " group_right")
                    s += " (" + m.include.joined(separator: ", ") + ")"
                }
            }
            if let m = b.matching {
                if let l = m.fillLeft, let r = m.fillRight, l.bitPattern == r.bitPattern {
                    s += " fill(\(GoFloat.shortest(l)))"
                } else {
                    if let l = m.fillLeft { s += " fill_left(\(GoFloat.shortest(l)))" }
                    if let r = m.fillRight { s += " fill_right(\(GoFloat.shortest(r)))" }
                }
            }
            return s + " \(b.rhs)"
        case .unaryMinus(let e): return "-\(e)"
        case .paren(let e): return "(\(e))"
        }
    }
}

extension VectorSelector: CustomStringConvertible {
    public var description: String {
        let shown = matchers.filter { !(name != nil && $0.name == "__name__" && $0.type == .equal) }
        var s = name ?? ""
        if !shown.isEmpty || name == nil {
            s += "{" + shown.map(\.description).joined(separator: ", ") + "}"
        }
        return s + (modifier.map { " " + $0.rawValue } ?? "") + atString(at) + offsetString(offset, offsetExpr)
    }
}

private func atString(_ at: AtModifier?) -> String {
    switch at {
    case nil: return ""
    case .start: return " @ start()"
    case .end: return " @ end()"
    case .timestamp(let t):
        let whole = t / 1000, frac = abs(t % 1000)
        let sign = t < 0 && whole == 0 ? "-" : ""
        let f = String(frac)
        return " @ \(sign)\(whole)." + String(repeating: "0", count: 3 - f.count) + f
    }
}

private func offsetString(_ offset: Int64, _ expr: DurationExpr? = nil) -> String {
    if let expr { return " offset \(expr)" }
    if offset > 0 { return " offset \(PromDuration(milliseconds: offset))" }
    if offset < 0 { return " offset -\(PromDuration(milliseconds: -offset))" }
    return ""
}
