import KansokuCore

/// An arithmetic duration as written in ranges, subquery steps and offsets
/// (`[26m+4m]`, `offset (2 * 1m)`, `[step()*2]`), in seconds.
public indirect enum DurationExpr: Sendable, Hashable, CustomStringConvertible {
    case literal(Double)
    /// The query's step (0 for instant queries).
    case step
    /// The query's range, end − start (0 for instant queries).
    case range
    case negate(DurationExpr)
    case binary(BinaryOp, DurationExpr, DurationExpr)
    case minOf(DurationExpr, DurationExpr)
    case maxOf(DurationExpr, DurationExpr)
    case paren(DurationExpr)

    /// Whether the value is known without a query (no `step()`/`range()`).
    public var isConstant: Bool {
        switch self {
        case .literal: return true
        case .step, .range: return false
        case .negate(let e), .paren(let e): return e.isConstant
        case .binary(_, let a, let b), .minOf(let a, let b), .maxOf(let a, let b): return a.isConstant && b.isConstant
        }
    }

    /// The value in seconds for a query with the given step and range (seconds).
    public func seconds(step: Double, range: Double) -> Double {
        switch self {
        case .literal(let v): return v
        case .step: return step
        case .range: return range
        case .negate(let e): return -e.seconds(step: step, range: range)
        case .paren(let e): return e.seconds(step: step, range: range)
        case .minOf(let a, let b): return goMin(a.seconds(step: step, range: range), b.seconds(step: step, range: range))
        case .maxOf(let a, let b): return goMax(a.seconds(step: step, range: range), b.seconds(step: step, range: range))
        case .binary(let op, let a, let b):
            return Evaluator.apply(op, a.seconds(step: step, range: range), b.seconds(step: step, range: range)).0
        }
    }

    /// Milliseconds, rounded as Prometheus converts float seconds.
    public func milliseconds(step: Int64, range: Int64) -> Int64 {
        let s = seconds(step: Double(step) / 1000, range: Double(range) / 1000)
        guard s.isFinite, abs(s) < 9.2e15 else { return 0 }
        return Int64((s * 1000).rounded())
    }

    public var description: String {
        switch self {
        case .literal(let v):
            let ms = v * 1000
            if ms.rounded() == ms, abs(ms) < 9e15, ms != 0 {
                let d = Int64(ms)
                return d < 0 ? "-" + PromDurationText.format(-d) : PromDurationText.format(d)
            }
            return GoFloat.shortest(v)
        case .step: return "step()"
        case .range: return "range()"
        case .negate(let e): return "-\(e)"
        case .paren(let e): return "(\(e))"
        case .minOf(let a, let b): return "min_of(\(a), \(b))"
        case .maxOf(let a, let b): return "max_of(\(a), \(b))"
        case .binary(let op, let a, let b): return "\(a) \(op.rawValue) \(b)"
        }
    }
}

enum PromDurationText {
    static func format(_ ms: Int64) -> String {
        var rest = ms
        var out = ""
        for (unit, len) in [("y", Int64(365 * 86_400_000)), ("w", 7 * 86_400_000), ("d", 86_400_000), ("h", 3_600_000),
                            ("m", 60_000), ("s", 1000), ("ms", 1)] where rest >= len {
            out += "\(rest / len)\(unit)"
            rest %= len
        }
        return out.isEmpty ? "0s" : out
    }
}

extension Parser {
    /// A duration expression: `+ -` < `* / %` < `^` (right-associative), unary sign,
    /// parentheses, literals (durations or seconds), `step()`, `range()`, `min_of`, `max_of`.
    mutating func parseDurationExpr(minPrecedence: Int = 0) throws(PromQLError) -> DurationExpr {
        let outer = depth
        defer { depth = outer }
        try descend()
        var lhs = try parseDurationUnary()
        while case .binary(let op) = peek.kind, [.add, .sub, .mul, .div, .mod, .pow].contains(op), op.precedence >= minPrecedence {
            try descend()
            advance()
            let rhs = try parseDurationExpr(minPrecedence: op == .pow ? op.precedence : op.precedence + 1)
            lhs = .binary(op, lhs, rhs)
        }
        return lhs
    }

    mutating func parseDurationUnary() throws(PromQLError) -> DurationExpr {
        if case .binary(let op) = peek.kind, op == .sub || op == .add {
            advance()
            let e = try parseDurationExpr(minPrecedence: BinaryOp.pow.precedence)
            return op == .sub ? .negate(e) : e
        }
        return try parseDurationPrimary()
    }

    /// A literal, a parenthesised expression or a duration function: what may follow `offset`.
    mutating func parseDurationPrimary() throws(PromQLError) -> DurationExpr {
        let t = peek
        switch t.kind {
        case .duration:
            advance()
            return .literal(Double(try parseDuration(t)) / 1000)
        case .number:
            advance()
            return .literal(try parseNumber(t))
        case .leftParen:
            advance()
            let e = try parseDurationExpr()
            _ = try expect(.rightParen, " in duration expression, expected \")\"")
            return .paren(e)
        case .identifier, .keyword(.start), .keyword(.end):
            let name = t.text.lowercased()
            guard ["step", "range", "min_of", "max_of"].contains(name), peek(1).kind == .leftParen else {
                throw unexpected(t, context: " in duration expression")
            }
            advance()
            advance()
            if name == "step" || name == "range" {
                _ = try expect(.rightParen, " in duration expression, expected \")\"")
                return name == "step" ? .step : .range
            }
            let a = try parseDurationExpr()
            _ = try expect(.comma, " in duration expression, expected \",\"")
            let b = try parseDurationExpr()
            _ = try expect(.rightParen, " in duration expression, expected \")\"")
            return name == "min_of" ? .minOf(a, b) : .maxOf(a, b)
        default:
            throw unexpected(t, context: " in duration expression, expected duration")
        }
    }

    /// The offset's duration: a signed primary (`offset -2`, `offset (1m * 2)`, `offset step()`);
    /// operators after it belong to the enclosing expression.
    mutating func parseOffsetDuration() throws(PromQLError) -> DurationExpr {
        if case .binary(let op) = peek.kind, op == .sub || op == .add {
            advance()
            let e = try parseDurationPrimary()
            return op == .sub ? .negate(e) : e
        }
        return try parseDurationPrimary()
    }
}

extension PromQLExpr {
    /// Whether any range, step or offset depends on the query (`step()`, `range()`).
    var hasQueryDependentDurations: Bool {
        var found = false
        walk { e in
            switch e {
            case .vectorSelector(let v): if v.offsetExpr != nil { found = true }
            case .matrixSelector(let m): if m.rangeExpr != nil || m.selector.offsetExpr != nil { found = true }
            case .subquery(let s): if s.rangeExpr != nil || s.stepExpr != nil || s.offsetExpr != nil { found = true }
            default: break
            }
        }
        return found
    }

    /// The expression with `step()`/`range()` durations replaced by their values.
    func resolvingDurations(step: Int64, range: Int64) throws(PromQLError) -> PromQLExpr {
        func ms(_ d: DurationExpr) -> Int64 { d.milliseconds(step: step, range: range) }
        func sel(_ v: VectorSelector) -> VectorSelector {
            var v = v
            if let o = v.offsetExpr { v.offset = ms(o); v.offsetExpr = nil }
            return v
        }
        switch self {
        case .number, .string: return self
        case .vectorSelector(let v): return .vectorSelector(sel(v))
        case .matrixSelector(var m):
            m.selector = sel(m.selector)
            if let r = m.rangeExpr {
                m.range = ms(r)
                m.rangeExpr = nil
                if m.range <= 0 { throw PromQLError.execution("range must be positive, got \(m.range)ms") }
            }
            return .matrixSelector(m)
        case .subquery(var s):
            s.expr = try s.expr.resolvingDurations(step: step, range: range)
            if let r = s.rangeExpr { s.range = ms(r); s.rangeExpr = nil }
            if let st = s.stepExpr { s.step = ms(st); s.stepExpr = nil }
            if let o = s.offsetExpr { s.offset = ms(o); s.offsetExpr = nil }
            if s.range <= 0 { throw PromQLError.execution("zero or negative range in subquery") }
            if let st = s.step, st <= 0 { throw PromQLError.execution("zero or negative step in subquery") }
            return .subquery(s)
        case .call(var c):
            var args: [PromQLExpr] = []
            for a in c.args { args.append(try a.resolvingDurations(step: step, range: range)) }
            c.args = args
            return .call(c)
        case .aggregate(var a):
            a.expr = try a.expr.resolvingDurations(step: step, range: range)
            a.param = try a.param?.resolvingDurations(step: step, range: range)
            return .aggregate(a)
        case .binary(var b):
            b.lhs = try b.lhs.resolvingDurations(step: step, range: range)
            b.rhs = try b.rhs.resolvingDurations(step: step, range: range)
            return .binary(b)
        case .unaryMinus(let e): return .unaryMinus(try e.resolvingDurations(step: step, range: range))
        case .paren(let e): return .paren(try e.resolvingDurations(step: step, range: range))
        }
    }
}
