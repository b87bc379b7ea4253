import KansokuCore

/// Multi-line formatting of queries (what `/loki/api/v1/format_query` and `logcli fmt`
/// return): a node that does not fit in `maxCharsPerLine` puts its children on their own lines,
/// indented two spaces per level; pipeline stages always go one per line.
public struct LogQLPrettier: Sendable {
    public var maxCharsPerLine: Int

    public init(maxCharsPerLine: Int = 100) { self.maxCharsPerLine = maxCharsPerLine }

    public func format(_ e: LogQLExpr) -> String {
        switch e {
        case .log(let l): return log(l, 0)
        case .sample(let s): return sample(s, 0)
        }
    }

    func indent(_ level: Int) -> String { String(repeating: "  ", count: level) }

    func log(_ l: LogSelectorExpr, _ level: Int) -> String {
        var s = indent(level) + LogSelectorExpr(matchers: l.matchers).description
        for st in l.stages { s += "\n" + indent(level + 1) + st.description }
        return s
    }

    func range(_ r: LogRangeExpr, _ level: Int) -> String {
        var s = log(r.selector, level)
        if let u = r.unwrap {
            s += "\n" + indent(level + 1) + (u.conversion == .none ? "| unwrap \(u.label)" : "| unwrap \(u.conversion.rawValue)(\(u.label))")
            for f in u.postFilters { s += "\n" + indent(level + 1) + "| \(f)" }
        }
        s += " [\(promDuration(r.range))]"
        if r.offset != 0 { s += " offset \(promDuration(r.offset))" }
        return s
    }

    func fits(_ e: SampleExpr) -> Bool { e.description.count <= maxCharsPerLine }

    func sample(_ e: SampleExpr, _ level: Int) -> String {
        let pad = indent(level)
        switch e {
        case .literal, .vector:
            return pad + e.description
        case .rangeAggregation(let r):
            if fits(e) { return pad + e.description }
            var s = pad + r.op.rawValue + "(\n"
            if let p = r.parameter { s += indent(level + 1) + GoFloat.fixed(p) + ",\n" }
            s += range(r.range, level + 1) + "\n" + pad + ")"
            if let g = r.grouping { s += g.description }
            return s
        case .vectorAggregation(let v):
            if fits(e) { return pad + e.description }
            var s = pad + v.op.rawValue + (v.grouping?.description ?? "") + "(\n"
            if let p = v.parameter { s += indent(level + 1) + "\(p),\n" }
            return s + sample(v.inner, level + 1) + "\n" + pad + ")"
        case .labelReplace(let l):
            if fits(e) { return pad + e.description }
            let argPad = indent(level + 1)
            let args: [String] = [l.destination, l.replacement, l.source, l.regex].map { argPad + goQuoted($0) }
            var out = pad + "label_replace(\n"
            out += sample(l.inner, level + 1) + ",\n"
            out += args.joined(separator: ",\n")
            return out + "\n" + pad + ")"
        case .binary(let b):
            var op = b.op.rawValue
            if b.returnBool { op += " bool" }
            if let m = b.matching {
                op += (m.on ? " on (" : " ignoring (") + m.labels.joined(separator: ", ") + ")"
                switch m.card {
                case .oneToOne: break
                case .manyToOne: op += " group_left" + (m.include.isEmpty ? "" : " (" + m.include.joined(separator: ", ") + ")")
                case .oneToMany: op += " group_right" + (m.include.isEmpty ? "" : " (" + m.include.joined(separator: ", ") + ")")
                }
            }
            return sample(b.lhs, level + 1) + "\n" + pad + op + "\n" + sample(b.rhs, level + 1)
        }
    }
}
