import Foundation
import KansokuCore

extension Evaluator {
    func evalBinary(_ b: BinaryExpr, _ t: Int64) throws(PromQLError) -> EvalValue {
        let l = try eval(b.lhs, t)
        let r = try eval(b.rhs, t)
        switch (l, r) {
        case (.scalar(let x), .scalar(let y)):
            let (v, keep) = Evaluator.apply(b.op, x, y)
            if b.op.isComparison { return .scalar(keep ? 1 : 0) }
            return .scalar(v)
        case (.vector(let vs), .scalar(let y)):
            return .vector(vectorScalar(b, vs, y, swap: false))
        case (.scalar(let x), .vector(let vs)):
            return .vector(vectorScalar(b, vs, x, swap: true))
        case (.vector(let lv), .vector(let rv)):
            let m = b.matching ?? VectorMatching()
            switch b.op {
            case .and: return .vector(setAnd(lv, rv, m))
            case .or: return .vector(setOr(lv, rv, m))
            case .unless: return .vector(setUnless(lv, rv, m))
            default: return .vector(try vectorVector(b, lv, rv, m))
            }
        default:
            throw PromQLError.execution("binary expression must contain only scalar and instant vector types")
        }
    }

    /// Applies an operator to two floats: the arithmetic result, or for comparisons the
    /// left value and whether the comparison holds.
    static func apply(_ op: BinaryOp, _ x: Double, _ y: Double) -> (Double, Bool) {
        switch op {
        case .add: return (x + y, true)
        case .sub: return (x - y, true)
        case .mul: return (x * y, true)
        case .div: return (x / y, true)
        case .mod: return (fmod(x, y), true)
        case .pow: return (pow(x, y), true)
        case .atan2: return (atan2(x, y), true)
        case .eql: return (x, x == y)
        case .neq: return (x, x != y)
        case .gtr: return (x, x > y)
        case .lss: return (x, x < y)
        case .gte: return (x, x >= y)
        case .lte: return (x, x <= y)
        case .and, .or, .unless: return (x, true)
        }
    }

    func vectorScalar(_ b: BinaryExpr, _ vs: [EvalSample], _ s: Double, swap: Bool) -> [EvalSample] {
        var out: [EvalSample] = []
        out.reserveCapacity(vs.count)
        for var x in vs {
            var (v, keep) = swap ? Evaluator.apply(b.op, s, x.v) : Evaluator.apply(b.op, x.v, s)
            if b.op.isComparison, swap { v = x.v }
            if b.returnBool {
                v = keep ? 1 : 0
                keep = true
            }
            guard keep else { continue }
            x.v = v
            if b.returnBool || !b.op.isComparison { x.dropName = true }
            out.append(x)
        }
        return out
    }

    static func signature(_ l: Labels, _ m: VectorMatching) -> Labels {
        if m.on { return l.keeping(Set(m.matchingLabels)) }
        var drop = Set(m.matchingLabels)
        drop.insert("__name__")
        return l.removing(drop)
    }

    func vectorVector(_ b: BinaryExpr, _ lhsIn: [EvalSample], _ rhsIn: [EvalSample], _ m: VectorMatching) throws(PromQLError) -> [EvalSample] {
        let filling = m.fillLeft != nil || m.fillRight != nil
        if !filling, lhsIn.isEmpty || rhsIn.isEmpty { return [] }
        let oneToMany = m.cardinality == .oneToMany
        let (lhs, rhs) = oneToMany ? (rhsIn, lhsIn) : (lhsIn, rhsIn)
        var rightSigs: [Labels: EvalSample] = [:]
        for rs in rhs {
            let sig = Evaluator.signature(rs.labels, m)
            if let dup = rightSigs[sig] {
                let side = oneToMany ? "left" : "right"
                let matched = Evaluator.signature(rs.labels, m)
                let pair = [rs.labels, dup.labels].sorted(by: labelsLess)
                throw PromQLError.execution("found duplicate series for the match group \(matched) on the \(side) hand-side of the operation: [\(pair[0]), \(pair[1])];many-to-many matching not allowed: matching labels must be unique on one side")
            }
            rightSigs[sig] = rs
        }
        var matchedOne = Set<Labels>()
        var matchedMany: [Labels: Set<Labels>] = [:]
        var out: [EvalSample] = []
        var matchedRight = Set<Labels>()
        for ls in lhs {
            let sig = Evaluator.signature(ls.labels, m)
            guard let rs = rightSigs[sig] else {
                // fill_right: the missing right side takes the fill value; joined labels stay unset.
                if let fill = m.fillRight {
                    let (fl, fr) = oneToMany ? (fill, ls.v) : (ls.v, fill)
                    var (v, keep) = Evaluator.apply(b.op, fl, fr)
                    if b.returnBool { v = keep ? 1 : 0 } else if !keep { continue }
                    let metric = resultMetric(ls.labels, Labels(), m)
                    out.append(EvalSample(labels: metric, v: v, dropName: ls.dropName || b.returnBool || !b.op.isComparison))
                }
                continue
            }
            if filling { matchedRight.insert(sig) }
            let metric = resultMetric(ls.labels, rs.labels, m)
            // Matching errors are found before filtering, so a comparison cannot hide them.
            if m.cardinality == .oneToOne {
                if !matchedOne.insert(sig).inserted {
                    throw PromQLError.execution("multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
                }
            } else {
                if !matchedMany[sig, default: []].insert(metric).inserted {
                    throw PromQLError.execution("multiple matches for matching labels; many-to-one matching must be explicit (group_left/group_right)")
                }
            }
            let (fl, fr) = oneToMany ? (rs.v, ls.v) : (ls.v, rs.v)
            var (v, keep) = Evaluator.apply(b.op, fl, fr)
            if b.returnBool {
                v = keep ? 1 : 0
            } else if !keep {
                continue
            }
            let drop = ls.dropName || b.returnBool || !b.op.isComparison
            out.append(EvalSample(labels: metric, v: v, dropName: drop))
        }
        // fill_left: right-side match groups without a left side yield one series carrying
        // the match group's labels.
        if let fill = m.fillLeft {
            for rs in rhs {
                let sig = Evaluator.signature(rs.labels, m)
                guard !matchedRight.contains(sig) else { continue }
                let (fl, fr) = oneToMany ? (rs.v, fill) : (fill, rs.v)
                var (v, keep) = Evaluator.apply(b.op, fl, fr)
                if b.returnBool { v = keep ? 1 : 0 } else if !keep { continue }
                out.append(EvalSample(labels: sig, v: v, dropName: true))
            }
        }
        return out
    }

    func resultMetric(_ l: Labels, _ r: Labels, _ m: VectorMatching) -> Labels {
        var out = l
        if m.cardinality == .oneToOne {
            out = m.on ? out.keeping(Set(m.matchingLabels)) : out.removing(Set(m.matchingLabels))
        }
        for name in m.include {
            out = out.setting(name, to: r[name] ?? "")
        }
        return out
    }

    func setAnd(_ l: [EvalSample], _ r: [EvalSample], _ m: VectorMatching) -> [EvalSample] {
        if l.isEmpty || r.isEmpty { return [] }
        let sigs = Set(r.map { Evaluator.signature($0.labels, m) })
        return l.filter { sigs.contains(Evaluator.signature($0.labels, m)) }
    }

    func setOr(_ l: [EvalSample], _ r: [EvalSample], _ m: VectorMatching) -> [EvalSample] {
        if l.isEmpty { return r }
        if r.isEmpty { return l }
        let sigs = Set(l.map { Evaluator.signature($0.labels, m) })
        return l + r.filter { !sigs.contains(Evaluator.signature($0.labels, m)) }
    }

    func setUnless(_ l: [EvalSample], _ r: [EvalSample], _ m: VectorMatching) -> [EvalSample] {
        if l.isEmpty || r.isEmpty { return l }
        let sigs = Set(r.map { Evaluator.signature($0.labels, m) })
        return l.filter { !sigs.contains(Evaluator.signature($0.labels, m)) }
    }
}

