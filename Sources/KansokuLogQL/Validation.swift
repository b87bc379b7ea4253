import KansokuCore

/// Checks Loki applies after (or while) parsing, with Loki's messages.
enum Validation {
    static let groupingAllowed: Set<RangeOp> = [
        .avgOverTime, .minOverTime, .maxOverTime, .stddevOverTime, .stdvarOverTime,
        .quantileOverTime, .firstOverTime, .lastOverTime,
    ]
    static let needUnwrap: Set<RangeOp> = [
        .avgOverTime, .sumOverTime, .minOverTime, .maxOverTime, .stddevOverTime, .stdvarOverTime,
        .quantileOverTime, .firstOverTime, .lastOverTime, .rateCounter,
    ]
    static let forbidUnwrap: Set<RangeOp> = [.countOverTime, .bytesOverTime, .bytesRate]

    static func check(_ agg: RangeAggregationExpr, paramText: String) throws(LogQLError) {
        let name = agg.op.rawValue
        if agg.grouping != nil, !groupingAllowed.contains(agg.op) {
            throw .validation("grouping not allowed for \(name) aggregation")
        }
        if agg.op == .quantileOverTime {
            if agg.parameter == nil { throw .validation("parameter required for operation \(name)") }
        } else if agg.parameter != nil {
            throw .validation("parameter \(paramText) not supported for operation \(name)")
        }
        if agg.range.unwrap == nil, needUnwrap.contains(agg.op) {
            throw .validation("invalid aggregation \(name) without unwrap")
        }
        if agg.range.unwrap != nil, forbidUnwrap.contains(agg.op) {
            throw .validation("invalid aggregation \(name) with unwrap")
        }
    }

    static func vectorParameter(_ op: VectorOp, _ param: Token?) throws(LogQLError) -> Int? {
        let takesParam = op == .topk || op == .bottomk || op == .approxTopk
        guard takesParam else {
            if let param { throw .validation("unsupported parameter for operation \(op.rawValue)(\(param.text),") }
            return nil
        }
        guard let param else { throw .validation("parameter required for operation \(op.rawValue)") }
        guard let v = Int(param.text) else { throw .validation("invalid parameter \(op.rawValue)(\(param.text),") }
        if v <= 0 { throw .validation("invalid parameter (must be greater than 0) \(op.rawValue)(\(param.text),") }
        return v
    }

    static let matcherRequirement = "queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will"

    static func checkMatchers(_ ms: [LabelMatcher]) throws(LogQLError) {
        let ok = ms.contains { m in (m.type == .equal || m.type == .regexMatch) && !m.matchesEmpty }
        if !ok { throw .validation(matcherRequirement) }
    }

    static func checkSelectors(_ e: LogQLExpr) throws(LogQLError) {
        switch e {
        case .log(let l): try checkMatchers(l.matchers)
        case .sample(let s): try checkSelectors(s)
        }
    }

    static func checkSelectors(_ s: SampleExpr) throws(LogQLError) {
        switch s {
        case .rangeAggregation(let r): try checkMatchers(r.range.selector.matchers)
        case .vectorAggregation(let v): try checkSelectors(v.inner)
        case .binary(let b):
            try checkSelectors(b.lhs)
            try checkSelectors(b.rhs)
        case .labelReplace(let l): try checkSelectors(l.inner)
        case .literal, .vector: break
        }
    }

    /// Regexes and ip() are compiled when the pipeline is built (Loki accepts them at parse).
    static func checkLineFilter(_ op: LineFilterOp, _ v: LineFilterValue) throws(LogQLError) {
        switch v {
        case .ip: break
        case .string(let s):
            switch op {
            case .regex, .notRegex: break
            case .pattern, .notPattern:
                do { _ = try PatternMatcher(s, forLineFilter: true) } catch { throw .validation(error.message) }
            case .contains, .notContains: break
            }
        }
    }

    static func checkRegexpParser(_ s: String) throws(LogQLError) {
        let re: RE2Regex
        do { re = try RE2Regex(s) } catch { throw .validation(RegexMessages.goStyle(error, pattern: s)) }
        let names = re.groupNames.compactMap { $0 }
        if names.isEmpty { throw .validation("at least one named capture must be supplied") }
        if Set(names).count != names.count { throw .validation("duplicate extracted label name") }
    }
}

enum RegexMessages {
    /// Go's `regexp` error text (`error parsing regexp: invalid escape sequence: `\q``) from RE2's.
    static func goStyle(_ e: RegexError, pattern: String) -> String {
        let m = e.message
        if let r = m.range(of: ": ") {
            return "error parsing regexp: \(m[m.startIndex..<r.lowerBound]): `\(m[r.upperBound...])`"
        }
        return "error parsing regexp: \(m): `\(pattern)`"
    }
}

/// Arithmetic and comparisons on two numbers, as both PromQL and LogQL define them.
enum ScalarMath {
    /// nil when a comparison without `bool` drops the sample.
    static func apply(_ op: BinaryOp, _ a: Double, _ b: Double, returnBool: Bool) -> Double? {
        switch op {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        case .mod: return a.truncatingRemainder(dividingBy: b)
        case .pow: return Foundation.pow(a, b)
        case .eq, .neq, .gt, .gte, .lt, .lte:
            let r: Bool
            switch op {
            case .eq: r = a == b
            case .neq: r = a != b
            case .gt: r = a > b
            case .gte: r = a >= b
            case .lt: r = a < b
            default: r = a <= b
            }
            if returnBool { return r ? 1 : 0 }
            return r ? a : nil
        case .and, .or, .unless: return nil
        }
    }
}

import Foundation
