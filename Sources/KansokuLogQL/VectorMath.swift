import KansokuCore

/// Aggregations, binary operators and label_replace over step-aligned rows.
enum VectorMath {
    static func groupLabels(_ l: Labels, _ g: Grouping?) -> Labels {
        guard let g else { return Labels() }
        return g.without ? l.removing(Set(g.labels)) : l.keeping(Set(g.labels))
    }

    static func aggregate(_ agg: VectorAggregationExpr, _ rows: [Row], steps: Int) throws(LogQLError) -> [Row] {
        switch agg.op {
        case .sort, .sortDesc:
            // ordered by the first step (sort is instant-only); NaN last, as Prometheus does
            let desc = agg.op == .sortDesc
            return rows.sorted { a, b in
                guard let x = a.values.first ?? nil else { return false }
                guard let y = b.values.first ?? nil else { return true }
                if x.isNaN { return false }
                if y.isNaN { return true }
                return desc ? x > y : x < y
            }
        case .topk, .bottomk, .approxTopk:
            let k = agg.parameter ?? 1
            var groups: [Labels: [Int]] = [:]
            for (i, r) in rows.enumerated() { groups[groupLabels(r.labels, agg.grouping), default: []].append(i) }
            var out = rows.map { Row(labels: $0.labels, values: [Double?](repeating: nil, count: steps)) }
            let top = agg.op != .bottomk
            for (_, members) in groups {
                for s in 0..<steps {
                    var present = members.compactMap { i in rows[i].values[s].map { (i, $0) } }
                    present.sort { a, b in
                        if a.1.isNaN { return false }
                        if b.1.isNaN { return true }
                        return top ? a.1 > b.1 : a.1 < b.1
                    }
                    for (i, v) in present.prefix(k) { out[i].values[s] = v }
                }
            }
            return out.filter { $0.values.contains { $0 != nil } }
        default:
            var groups: [Labels: [Int]] = [:]
            var order: [Labels] = []
            for (i, r) in rows.enumerated() {
                let key = groupLabels(r.labels, agg.grouping)
                if groups[key] == nil { order.append(key) }
                groups[key, default: []].append(i)
            }
            var out: [Row] = []
            for key in order {
                let members = groups[key]!
                var values = [Double?](repeating: nil, count: steps)
                for s in 0..<steps {
                    let vs = members.compactMap { rows[$0].values[s] }
                    guard !vs.isEmpty else { continue }
                    values[s] = reduce(agg.op, vs)
                }
                if values.contains(where: { $0 != nil }) { out.append(Row(labels: key, values: values)) }
            }
            return out
        }
    }

    static func reduce(_ op: VectorOp, _ vs: [Double]) -> Double {
        switch op {
        case .sum: return RangeFunctions.sum(vs[...])
        case .avg: return RangeFunctions.sum(vs[...]) / Double(vs.count)
        case .count: return Double(vs.count)
        case .min:
            var m = vs[0]
            for v in vs where v < m || m.isNaN { m = v }
            return m
        case .max:
            var m = vs[0]
            for v in vs where v > m || m.isNaN { m = v }
            return m
        case .stddev: return RangeFunctions.variance(vs[...]).squareRoot()
        case .stdvar: return RangeFunctions.variance(vs[...])
        default: return .nan
        }
    }

    /// Arithmetic on two numbers as Loki defines it (division or modulo by zero is NaN).
    static func arith(_ op: BinaryOp, _ a: Double, _ b: Double, returnBool: Bool) -> Double? {
        if (op == .div || op == .mod) && b == 0 { return .nan }
        return ScalarMath.apply(op, a, b, returnBool: returnBool)
    }

    static func binary(_ b: BinaryExpr, _ l: EvalValue, _ r: EvalValue, steps: Int) throws(LogQLError) -> EvalValue {
        switch (l, r) {
        case (.scalar(let a), .scalar(let c)):
            return .scalar((0..<steps).map { arith(b.op, a[$0], c[$0], returnBool: true) ?? .nan })
        case (.rows(let rows), .scalar(let s)):
            return .rows(rows.compactMap { row in
                var out = row
                for i in 0..<steps {
                    guard let v = row.values[i] else { continue }
                    let r = arith(b.op, v, s[i], returnBool: b.returnBool)
                    out.values[i] = b.op.isComparison && !b.returnBool ? (r != nil ? v : nil) : r
                }
                return out.values.contains { $0 != nil } ? out : nil
            })
        case (.scalar(let s), .rows(let rows)):
            return .rows(rows.compactMap { row in
                var out = row
                for i in 0..<steps {
                    guard let v = row.values[i] else { continue }
                    let r = arith(b.op, s[i], v, returnBool: b.returnBool)
                    out.values[i] = b.op.isComparison && !b.returnBool ? (r != nil ? v : nil) : r
                }
                return out.values.contains { $0 != nil } ? out : nil
            })
        case (.rows(let lr), .rows(let rr)):
            return .rows(try vectorBinary(b, lr, rr, steps: steps))
        }
    }

    static func signature(_ l: Labels, _ m: VectorMatching?) -> Labels {
        guard let m else { return l }
        return m.on ? l.keeping(Set(m.labels)) : l.removing(Set(m.labels))
    }

    static func vectorBinary(_ b: BinaryExpr, _ lr: [Row], _ rr: [Row], steps: Int) throws(LogQLError) -> [Row] {
        var out: [Labels: [Double?]] = [:]
        var order: [Labels] = []
        func put(_ labels: Labels, _ step: Int, _ v: Double) {
            if out[labels] == nil { out[labels] = [Double?](repeating: nil, count: steps); order.append(labels) }
            out[labels]![step] = v
        }
        let m = b.matching
        let lsig = lr.map { signature($0.labels, m) }
        let rsig = rr.map { signature($0.labels, m) }
        for s in 0..<steps {
            if b.op.isSet {
                let rightSigs = Set(rr.indices.filter { rr[$0].values[s] != nil }.map { rsig[$0] })
                var leftSigs = Set<Labels>()
                for (i, row) in lr.enumerated() {
                    guard let v = row.values[s] else { continue }
                    leftSigs.insert(lsig[i])
                    switch b.op {
                    case .and: if rightSigs.contains(lsig[i]) { put(row.labels, s, v) }
                    case .unless: if !rightSigs.contains(lsig[i]) { put(row.labels, s, v) }
                    default: put(row.labels, s, v)
                    }
                }
                if b.op == .or {
                    for (i, row) in rr.enumerated() {
                        guard let v = row.values[s], !leftSigs.contains(rsig[i]) else { continue }
                        put(row.labels, s, v)
                    }
                }
                continue
            }
            let card = m?.card ?? .oneToOne
            // the "one" side must be unique per signature
            let oneRows = card == .oneToMany ? lr : rr
            let oneSigs = card == .oneToMany ? lsig : rsig
            var one: [Labels: Int] = [:]
            for (i, row) in oneRows.enumerated() where row.values[s] != nil {
                if one[oneSigs[i]] != nil {
                    let side = card == .oneToMany ? "left" : "right"
                    throw .execution("found duplicate series on the \(side) hand-side of the operation: \(row.labels); many-to-many matching not allowed: matching labels must be unique on one side")
                }
                one[oneSigs[i]] = i
            }
            let manyRows = card == .oneToMany ? rr : lr
            let manySigs = card == .oneToMany ? rsig : lsig
            var produced = Set<Labels>()
            for (i, row) in manyRows.enumerated() {
                guard let mv = row.values[s], let j = one[manySigs[i]], let ov = oneRows[j].values[s] else { continue }
                let (lv, rv) = card == .oneToMany ? (ov, mv) : (mv, ov)
                guard let r = arith(b.op, lv, rv, returnBool: b.returnBool) else { continue }
                let value = b.op.isComparison && !b.returnBool ? lv : r
                var labels: Labels
                if card == .oneToOne {
                    labels = m.map { m in m.on ? row.labels.keeping(Set(m.labels)) : row.labels.removing(Set(m.labels)) } ?? row.labels
                } else {
                    labels = row.labels
                    for name in m?.include ?? [] {
                        labels = labels.setting(name, to: oneRows[j].labels[name] ?? "")
                    }
                }
                if !produced.insert(labels).inserted {
                    if card == .oneToOne {
                        throw .execution("multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
                    }
                    throw .execution("multiple matches for labels: grouping labels must ensure unique matches")
                }
                put(labels, s, value)
            }
        }
        return order.map { Row(labels: $0, values: out[$0]!) }
    }

    static func labelReplace(_ l: LabelReplaceExpr, _ rows: [Row]) -> [Row] {
        rows.map { row in
            let src = row.labels[l.source] ?? ""
            let bytes = Array(src.utf8)
            let caps: [Range<Int>?]? = bytes.withUnsafeBytes { buf in
                l.compiled.matches(buf) ? l.compiled.captures(in: buf) : nil
            }
            guard let caps else { return row }
            let value: String = bytes.withUnsafeBytes { buf in
                l.compiled.expand(l.replacement, captures: caps, in: buf)
            }
            var out = row
            out.labels = row.labels.setting(l.destination, to: value)
            return out
        }
    }
}
