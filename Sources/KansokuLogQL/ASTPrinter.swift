import KansokuCore

// Canonical forms, spelled as Loki's `String()` methods spell them so printed queries match
// what Loki's API and tools return.

extension LogSelectorExpr: CustomStringConvertible {
    public var description: String {
        var s = "{" + matchers.map(\.description).joined(separator: ", ") + "}"
        for st in stages { s += " " + st.description }
        return s
    }
}

extension LineFilterValue: CustomStringConvertible {
    public var description: String {
        switch self {
        case .string(let s): return goQuoted(s)
        case .ip(let s): return "ip(\(goQuoted(s)))"
        }
    }
}

extension LineFilterExpr: CustomStringConvertible {
    public var description: String {
        op.rawValue + " " + values.map(\.description).joined(separator: " or ")
    }
}

extension LabelExtraction: CustomStringConvertible {
    public var description: String { "\(name)=\(goQuoted(expression ?? name))" }
}

extension ParserStage: CustomStringConvertible {
    public var description: String {
        switch self {
        case .json(let p):
            return p.isEmpty ? "| json" : "| json " + p.map(\.description).joined(separator: ",")
        case .logfmt(let strict, let keepEmpty, let p):
            var s = "| logfmt"
            if strict { s += " --strict" }
            if keepEmpty { s += " --keep-empty" }
            if !p.isEmpty { s += " " + p.map(\.description).joined(separator: ",") }
            return s
        case .regexp(let r): return "| regexp \(goQuoted(r))"
        case .pattern(let p): return "| pattern \(goQuoted(p))"
        case .unpack: return "| unpack"
        }
    }
}

/// Label filter values use backquotes when they hold a backslash (easier to read regexes).
func labelFilterQuoted(_ v: String) -> String {
    if v.contains("\\") && !v.contains("`") { return "`" + v + "`" }
    return goQuoted(v)
}

extension LabelFilterExpr: CustomStringConvertible {
    public var description: String {
        switch self {
        case .string(let m):
            if m.name == "__error__" { return m.description }
            return m.name + m.type.rawValue + labelFilterQuoted(m.value)
        case .number(let n, let op, let v): return n + op.rawValue + GoFloat.fixed(v)
        case .duration(let n, let op, let d): return n + op.rawValue + GoDuration.format(d)
        case .bytes(let n, let op, let v): return n + op.rawValue + ByteSize.format(v)
        case .ip(let n, let neg, let p): return n + (neg ? "!=" : "=") + "ip(\(goQuoted(p)))"
        case .and(let l, let r): return "( \(l) , \(r) )"
        case .or(let l, let r): return "( \(l) or \(r) )"
        }
    }
}

extension NamedLabelMatcher: CustomStringConvertible {
    public var description: String { matcher?.description ?? name }
}

extension PipelineStage: CustomStringConvertible {
    public var description: String {
        switch self {
        case .lineFilter(let f): return f.description
        case .parser(let p): return p.description
        case .labelFilter(let f): return "| " + f.description
        case .lineFormat(let t): return "| line_format \(goQuoted(t))"
        case .labelFormat(let items):
            return "| label_format " + items.map { $0.isTemplate ? "\($0.name)=\(goQuoted($0.source))" : "\($0.name)=\($0.source)" }
                .joined(separator: ",")
        case .decolorize: return "| decolorize"
        case .drop(let m): return "| drop " + m.map(\.description).joined(separator: ",")
        case .keep(let m): return "| keep " + m.map(\.description).joined(separator: ",")
        }
    }
}

extension UnwrapExpr: CustomStringConvertible {
    public var description: String {
        var s = conversion == .none ? " | unwrap \(label)" : " | unwrap \(conversion.rawValue)(\(label))"
        for f in postFilters { s += " | \(f)" }
        return s
    }
}

func promDuration(_ ns: Int64) -> String { PromDuration(milliseconds: ns / 1_000_000).description }

extension LogRangeExpr: CustomStringConvertible {
    public var description: String {
        var s = selector.description
        if let unwrap { s += unwrap.description }
        s += "[\(promDuration(range))]"
        if offset != 0 { s += " offset \(promDuration(offset))" }
        return s
    }
}

extension Grouping: CustomStringConvertible {
    public var description: String {
        (without ? " without " : " by ") + "(" + labels.joined(separator: ",") + ")"
    }
}

extension RangeAggregationExpr: CustomStringConvertible {
    public var description: String {
        var s = op.rawValue + "("
        if let parameter { s += GoFloat.fixed(parameter) + "," }
        s += range.description + ")"
        if let grouping { s += grouping.description }
        return s
    }
}

extension VectorAggregationExpr: CustomStringConvertible {
    public var description: String {
        var s = op.rawValue
        if let grouping { s += grouping.description }
        s += "("
        if let parameter { s += "\(parameter)," }
        return s + inner.description + ")"
    }
}

extension BinaryExpr: CustomStringConvertible {
    public var description: String {
        var s = "(\(lhs) \(op.rawValue)"
        if returnBool { s += " bool" }
        if let m = matching {
            s += (m.on ? " on(" : " ignoring(") + m.labels.joined(separator: ",") + ")"
            switch m.card {
            case .oneToOne: break
            case .manyToOne: s += " group_left(" + m.include.joined(separator: ",") + ")"
            case .oneToMany: s += " group_right(" + m.include.joined(separator: ",") + ")"
            }
        }
        return s + " \(rhs))"
    }
}

extension SampleExpr: CustomStringConvertible {
    public var description: String {
        switch self {
        case .rangeAggregation(let r): return r.description
        case .vectorAggregation(let v): return v.description
        case .binary(let b): return b.description
        case .literal(let v): return goFloat(v)
        case .vector(let v): return "vector(\(goFloat(v)))"
        case .labelReplace(let l):
            return "label_replace(\(l.inner),\(goQuoted(l.destination)),\(goQuoted(l.replacement)),\(goQuoted(l.source)),\(goQuoted(l.regex)))"
        }
    }
}
