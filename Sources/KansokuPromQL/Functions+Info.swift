import KansokuCore

/// `info(v, {data selector})`: enriches series with the data labels of info metrics
/// (`target_info` by default) that share their identifying labels (`instance`, `job`).
extension Evaluator {
    static let identifyingLabels = ["instance", "job"]

    /// The info-series matchers: the selector's, with a default metric name.
    static func infoMatchers(_ c: FunctionCall) -> [LabelMatcher] {
        var m: [LabelMatcher] = []
        if c.args.count > 1, case .vectorSelector(let v) = c.args[1].unwrapped { m = v.matchers }
        let names = m.filter { $0.name == "__name__" }
        if names.isEmpty {
            m.append(try! LabelMatcher(name: "__name__", type: .equal, value: "target_info"))
        } else if !names.contains(where: { $0.type == .equal || $0.type == .regexMatch }) {
            m.append(try! LabelMatcher(name: "__name__", type: .regexMatch, value: ".+_info"))
        }
        return m
    }

    /// The time info series are read at: that of the base samples (their `@` and offset).
    func infoReference(_ base: PromQLExpr, _ t: Int64) -> Int64 {
        switch base.unwrapped {
        case .vectorSelector(let v): return resolveAt(v.at, t).minus(v.offset)
        case .subquery(let s): return infoReference(s.expr, resolveAt(s.at, t).minus(s.offset))
        case .call(let c):
            for a in c.args where a.type == .vector || a.type == .matrix { return infoReference(a, t) }
            return t
        case .matrixSelector(let m): return resolveAt(m.selector.at, t).minus(m.selector.offset)
        case .aggregate(let a): return infoReference(a.expr, t)
        case .unaryMinus(let e): return infoReference(e, t)
        default: return t
        }
    }

    func infoJoin(_ c: FunctionCall, _ t: Int64) throws(PromQLError) -> [EvalSample] {
        let base = try vector(c.args[0], t)
        let matchers = Evaluator.infoMatchers(c)
        let nameMatchers = matchers.filter { $0.name == "__name__" }
        let dataMatchers = matchers.filter { $0.name != "__name__" }
        let dataNames = Set(dataMatchers.map(\.name))
        let ref = infoReference(c.args[0], t)
        let sel = VectorSelector(name: nil, matchers: matchers)
        let values = selectInstant(sel, ref)
        let times = selectInstant(sel, ref, timestamps: true)
        // Per identifying labels and info metric name, the series with the newest sample.
        struct Key: Hashable { var id: [String]; var name: String }
        var newest: [Key: (labels: Labels, t: Double)] = [:]
        for (s, ts) in zip(values, times) {
            let k = Key(id: Evaluator.identifyingLabels.map { s.labels[$0] ?? "" }, name: s.labels["__name__"] ?? "")
            if let cur = newest[k], cur.t >= ts.v { continue }
            newest[k] = (s.labels, ts.v)
        }
        var byID: [[String]: [Labels]] = [:]
        for (k, v) in newest { byID[k.id, default: []].append(v.labels) }
        let dropUnmatched = dataMatchers.contains { !$0.matchesEmpty }
        var out: [EvalSample] = []
        for var b in base {
            if let name = b.labels["__name__"], nameMatchers.allSatisfy({ $0.matches(name) }) {
                out.append(b)
                continue
            }
            guard let infos = byID[Evaluator.identifyingLabels.map { b.labels[$0] ?? "" }], !infos.isEmpty else {
                if !dropUnmatched { out.append(b) }
                continue
            }
            var added: [String: String] = [:]
            for info in infos.sorted(by: labelsLess) {
                for l in info where l.name != "__name__" && !Evaluator.identifyingLabels.contains(l.name) {
                    if !dataNames.isEmpty, !dataNames.contains(l.name) { continue }
                    if b.labels[l.name] != nil { continue }
                    if let prior = added[l.name], prior != l.value {
                        throw PromQLError.execution("conflicting label: \(l.name) has values \(goQuoted(prior)) and \(goQuoted(l.value))")
                    }
                    added[l.name] = l.value
                }
            }
            if !added.isEmpty {
                var labels = b.labels
                for (k, v) in added { labels = labels.setting(k, to: v) }
                b.relabel(labels)
            }
            out.append(b)
        }
        return out
    }
}
