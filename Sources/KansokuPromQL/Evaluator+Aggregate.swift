import KansokuCore

extension Evaluator {
    private struct Group {
        var labels: Labels
        var members: [Int] = []
        var dropName = false
    }

    func evalAggregate(_ a: AggregateExpr, _ t: Int64) throws(PromQLError) -> EvalValue {
        var param = 0.0
        var valueLabel = ""
        if let p = a.param {
            if a.op == .countValues {
                guard case .string(let s) = try eval(p, t) else { throw PromQLError.execution("expected string parameter") }
                valueLabel = s
            } else {
                param = try scalar(p, t)
            }
        }
        let grouping = Set(a.grouping)
        var withoutSet = grouping
        withoutSet.insert("__name__")
        func key(_ l: Labels) -> Labels { a.without ? l.removing(withoutSet) : l.keeping(grouping) }
        if let fused = try fusedRangeAggregate(a, t, key) { return .vector(fused) }
        let input = try vector(a.expr, t)

        if a.op == .countValues { return .vector(try countValues(input, label: valueLabel, key)) }
        let cache = groupCache(a)
        switch a.op {
        case .sum, .avg, .count, .group, .min, .max:
            return .vector(streamingAggregate(a.op, input, cache, key))
        case .topk, .bottomk, .limitk:
            return .vector(try selectK(a.op, param, groups(input, cache, key), input))
        case .limitRatio:
            return .vector(try limitRatio(param, input))
        case .stddev, .stdvar, .quantile:
            if a.op == .quantile, param.isNaN || param < 0 || param > 1 {
                warn("PromQL warning: quantile value should be between 0 and 1, got \(GoFloat.shortest(param))")
            }
            return .vector(groupStatistics(a.op, param, groups(input, cache, key), input))
        case .countValues:
            preconditionFailure("count_values is answered above")
        }
    }

    /// `count_values`: one series per distinct value in each group, labelled with the value.
    private func countValues(_ input: [EvalSample], label: String, _ key: (Labels) -> Labels) throws(PromQLError) -> [EvalSample] {
        guard !label.isEmpty, !label.unicodeScalars.contains("\u{FFFD}") else {
            throw PromQLError.execution("invalid label name \(goQuoted(label))")
        }
        var index: [Labels: Int] = [:]
        var out: [EvalSample] = []
        for s in input {
            let l = key(s.labels).setting(label, to: GoFloat.fixed(s.v))
            if let i = index[l] {
                out[i].v += 1
            } else {
                index[l] = out.count
                out.append(EvalSample(labels: l, v: 1))
            }
        }
        return out
    }

    /// The input's series gathered by group, in order of each group's first series.
    private func groups(_ input: [EvalSample], _ cache: GroupCache, _ key: (Labels) -> Labels) -> [Group] {
        var groups: [Group] = []
        var index: [Int32: Int] = [:]
        for (i, s) in input.enumerated() {
            let n = cache.group(of: s, key)
            if let g = index[n] {
                groups[g].members.append(i)
                groups[g].dropName = groups[g].dropName || s.dropName
            } else {
                index[n] = groups.count
                groups.append(Group(labels: cache.labels[Int(n)], members: [i], dropName: s.dropName))
            }
        }
        return groups
    }

    /// `topk`, `bottomk` and `limitk`: up to `k` series of each group.
    private func selectK(_ op: AggregateOp, _ param: Double, _ groups: [Group], _ input: [EvalSample]) throws(PromQLError) -> [EvalSample] {
        if param.isNaN { throw PromQLError.execution("Parameter value is NaN") }
        // Prometheus's bounds for a float that converts to int64 (the largest double
        // below 2^63, and -2^63).
        guard param <= 9_223_372_036_854_774_784, param >= -9_223_372_036_854_775_808 else {
            throw PromQLError.execution("Scalar value \(GoFloat.shortest(param)) overflows int64")
        }
        let k = Int(param)
        if k < 1 { return [] }
        var out: [EvalSample] = []
        for g in groups {
            var members = g.members.map { input[$0] }
            if op == .limitk {
                out.append(contentsOf: members.prefix(k))
                continue
            }
            let top = op == .topk
            // Stable sort: among equal values the earlier series wins, as Prometheus's heap keeps it.
            members = stableSorted(members) { x, y in
                if x.v.isNaN { return false }
                if y.v.isNaN { return true }
                return top ? x.v > y.v : x.v < y.v
            }
            out.append(contentsOf: members.prefix(k))
        }
        return out
    }

    /// `limit_ratio`: the series whose label hash falls in the ratio's share of the hash space.
    private func limitRatio(_ param: Double, _ input: [EvalSample]) throws(PromQLError) -> [EvalSample] {
        if param.isNaN { throw PromQLError.execution("Ratio value is NaN") }
        var r = param
        if r < -1 || r > 1 {
            warn("PromQL warning: ratio value should be between -1 and 1, got \(GoFloat.shortest(r)), capping to \(r < 0 ? -1 : 1)")
            r = r < 0 ? -1 : 1
        }
        return input.filter { s in
            let offset = Double(s.labels.stableHash) / Double(UInt64.max)
            return r >= 0 ? offset < r : offset >= 1 + r
        }
    }

    /// `stddev`, `stdvar` and `quantile`: one value from all of a group's samples.
    private func groupStatistics(_ op: AggregateOp, _ param: Double, _ groups: [Group], _ input: [EvalSample]) -> [EvalSample] {
        var out: [EvalSample] = []
        out.reserveCapacity(groups.count)
        for g in groups {
            let v: Double
            if op == .quantile {
                v = quantileOf(param, g.members.map { input[$0].v })
            } else {
                var n = 1.0, mean = input[g.members[0]].v, m2 = 0.0
                for i in g.members.dropFirst() {
                    let x = input[i].v
                    n += 1
                    let delta = x - mean
                    mean += delta / n
                    m2 += delta * (x - mean)
                }
                let variance = g.members.contains { !input[$0].v.isFinite } ? .nan : m2 / n
                v = op == .stdvar ? variance : variance.squareRoot()
            }
            out.append(EvalSample(labels: g.labels, v: v, dropName: g.dropName))
        }
        return out
    }
}

/// Running state of one group for the aggregations that need no sample list.
private struct Accumulator {
    var group: Int32
    var dropName: Bool
    var sum = 0.0
    var c = 0.0
    var count = 0.0
    var extreme = 0.0
    var mean = MeanAccumulator()
}

/// sum/avg/count/group/min/max of one step, group by group, without per-group member lists.
struct StreamingAggregation {
    let op: AggregateOp
    /// Group number → position in `acc` plus one (0: not seen yet). Group numbers are dense,
    /// so this is an array, not a hash table: every series of every step looks it up.
    private var index: [Int32]
    private var acc: [Accumulator] = []

    /// `groups`: how many groups the cache knows now (more may come).
    init(_ op: AggregateOp, groups: Int) {
        self.op = op
        index = [Int32](repeating: 0, count: groups)
    }

    /// Whether `merge` can join aggregations of consecutive runs of series.
    static func mergeable(_ op: AggregateOp) -> Bool {
        switch op {
        case .sum, .count, .group, .min, .max: true
        default: false
        }
    }

    /// The accumulator of group `n`, made with `v` as its extreme when new.
    @inline(__always) private mutating func slot(_ n: Int32, dropName: Bool, first v: Double) -> Int {
        if Int(n) >= index.count { index.append(contentsOf: repeatElement(0, count: Int(n) + 1 - index.count)) }
        let known = Int(index[Int(n)])
        if known > 0 {
            acc[known - 1].dropName = acc[known - 1].dropName || dropName
            return known - 1
        }
        index[Int(n)] = Int32(acc.count + 1)
        acc.append(Accumulator(group: n, dropName: dropName, extreme: v))
        return acc.count - 1
    }

    /// Adds value `v` to group `n`.
    @inline(__always) mutating func add(_ v: Double, group n: Int32, dropName: Bool) {
        let g = slot(n, dropName: dropName, first: v)
        acc[g].count += 1
        switch op {
        case .sum: (acc[g].sum, acc[g].c) = kahanSumInc(v, acc[g].sum, acc[g].c)
        case .avg: acc[g].mean.add(v)
        case .min: if acc[g].extreme > v || acc[g].extreme.isNaN { acc[g].extreme = v }
        case .max: if acc[g].extreme < v || acc[g].extreme.isNaN { acc[g].extreme = v }
        default: break
        }
    }

    /// Folds in the aggregation of the series that come after this one's (`mergeable` ops
    /// only). Groups keep the order they were first seen in; sums add the other's compensated
    /// sum, so they may differ from adding value by value in the last bits, as two orders of
    /// addition do.
    mutating func merge(_ other: StreamingAggregation) {
        precondition(Self.mergeable(op) && other.op == op, "merging \(op)")
        for b in other.acc {
            let g = slot(b.group, dropName: b.dropName, first: b.extreme)
            if acc[g].count == 0 {
                acc[g] = b
                continue
            }
            acc[g].count += b.count
            switch op {
            case .sum:
                (acc[g].sum, acc[g].c) = kahanSumInc(b.sum, acc[g].sum, acc[g].c)
                (acc[g].sum, acc[g].c) = kahanSumInc(b.c, acc[g].sum, acc[g].c)
            case .min: if acc[g].extreme > b.extreme || acc[g].extreme.isNaN { acc[g].extreme = b.extreme }
            case .max: if acc[g].extreme < b.extreme || acc[g].extreme.isNaN { acc[g].extreme = b.extreme }
            default: break
            }
        }
    }

    /// The groups' values, labelled from `cache`.
    func samples(_ cache: GroupCache) -> [EvalSample] {
        acc.map { a in
            let v: Double
            switch op {
            case .sum: v = a.sum + a.c
            case .avg: v = a.mean.value
            case .count: v = a.count
            case .group: v = 1
            default: v = a.extreme
            }
            return EvalSample(labels: cache.labels[Int(a.group)], v: v, dropName: a.dropName)
        }
    }
}

extension Evaluator {
    /// sum/avg/count/group/min/max in one pass, without per-group member lists.
    fileprivate func streamingAggregate(_ op: AggregateOp, _ input: [EvalSample], _ cache: GroupCache,
                                        _ key: (Labels) -> Labels) -> [EvalSample] {
        var aggregation = StreamingAggregation(op, groups: cache.labels.count)
        for s in input { aggregation.add(s.v, group: cache.group(of: s, key), dropName: s.dropName) }
        return aggregation.samples(cache)
    }
}

/// Group assignment for one grouping clause, remembered per series across steps so each
/// step hashes integers instead of label sets.
final class GroupCache {
    var bySid: [Int32]
    var labels: [Labels] = []
    var numbers: [Labels: Int32] = [:]
    /// Every series is in the one group with no labels (`sum(…)`, `count(…)`): no key is
    /// worked out per series.
    let single: Bool
    /// The one label of `by (name)`: a series' group is found by that label's value, with
    /// no key label set built and hashed per series.
    let byLabel: String?
    private var byValue: [String: Int32] = [:]
    private var lastByValue: (value: String, group: Int32)?

    init(seriesCount: Int, single: Bool = false, byLabel: String? = nil) {
        self.single = single
        self.byLabel = byLabel
        bySid = single ? [] : Array(repeating: -1, count: seriesCount)
        if single {
            labels = [Labels()]
            numbers = [Labels(): 0]
        }
    }

    func group(of s: EvalSample, _ key: (Labels) -> Labels) -> Int32 {
        group(sid: s.sid, labels: s.labels, key)
    }

    func group(sid: Int32, labels l: Labels, _ key: (Labels) -> Labels) -> Int32 {
        if single { return 0 }
        if sid >= 0, Int(sid) < bySid.count, bySid[Int(sid)] >= 0 { return bySid[Int(sid)] }
        let n: Int32
        if let byLabel {
            // A missing label and an empty one are the same to PromQL.
            let value = l[byLabel] ?? ""
            if let last = lastByValue, last.value == value {
                // Series come in label order, so one group's often follow each other: a
                // comparison instead of hashing the value.
                n = last.group
            } else if let known = byValue[value] {
                n = known
            } else {
                n = number(of: key(l))
                byValue[value] = n
            }
            lastByValue = (value, n)
        } else {
            n = number(of: key(l))
        }
        if sid >= 0, Int(sid) < bySid.count { bySid[Int(sid)] = n }
        return n
    }

    private func number(of k: Labels) -> Int32 {
        if let known = numbers[k] { return known }
        let n = Int32(labels.count)
        labels.append(k)
        numbers[k] = n
        return n
    }
}

extension Evaluator {
    func groupCache(_ a: AggregateExpr) -> GroupCache {
        let spec = (a.without ? "w" : "b") + a.grouping.joined(separator: "\u{0}")
        if let c = groupCaches[spec] { return c }
        let c = GroupCache(seriesCount: seriesCount, single: !a.without && a.grouping.isEmpty,
                           byLabel: !a.without && a.grouping.count == 1 ? a.grouping[0] : nil)
        groupCaches[spec] = c
        return c
    }
}

/// A stable sort (Swift's `sorted` is not guaranteed stable).
func stableSorted<T>(_ a: [T], by less: (T, T) -> Bool) -> [T] {
    a.enumerated().sorted { x, y in
        if less(x.element, y.element) { return true }
        if less(y.element, x.element) { return false }
        return x.offset < y.offset
    }.map(\.element)
}
