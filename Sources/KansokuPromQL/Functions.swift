import Foundation
import KansokuCore

/// Function calls: dispatch, instant-vector math, time and label functions.
extension Evaluator {
    static let rangeFunctions: Set<String> = [
        "rate", "increase", "irate", "delta", "idelta", "deriv", "predict_linear", "resets", "changes",
        "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
        "stddev_over_time", "stdvar_over_time", "last_over_time", "first_over_time", "present_over_time",
        "quantile_over_time", "mad_over_time", "absent_over_time", "double_exponential_smoothing",
        "ts_of_min_over_time", "ts_of_max_over_time", "ts_of_last_over_time", "ts_of_first_over_time",
    ]

    func evalCall(_ c: FunctionCall, _ t: Int64) throws(PromQLError) -> EvalValue {
        if Evaluator.rangeFunctions.contains(c.name) { return .vector(try evalRangeFunction(c, t)) }
        switch c.name {
        case "time": return .scalar(Double(t) / 1000)
        case "pi": return .scalar(Double.pi)
        case "start": return .scalar(Double(start) / 1000)
        case "end": return .scalar(Double(end) / 1000)
        case "range": return .scalar(Double(end - start) / 1000)
        case "step": return .scalar(Double(step) / 1000)
        case "vector": return .vector([EvalSample(labels: Labels(), v: try scalar(c.args[0], t))])
        case "scalar":
            let v = try vector(c.args[0], t)
            return .scalar(v.count == 1 ? v[0].v : .nan)
        case "timestamp":
            if case .vectorSelector(let sel) = c.args[0].unwrapped {
                return .vector(selectInstant(sel, t, timestamps: true).map { EvalSample(labels: $0.labels, v: $0.v, dropName: true, sid: $0.sid) })
            }
            return .vector(try vector(c.args[0], t).map { EvalSample(labels: $0.labels, v: Double(t) / 1000, dropName: true, sid: $0.sid) })
        case "absent":
            if !(try vector(c.args[0], t)).isEmpty { return .vector([]) }
            return .vector([EvalSample(labels: absentLabels(c.args[0]), v: 1)])
        case "min_of", "max_of":
            let x = try scalar(c.args[0], t), y = try scalar(c.args[1], t)
            return .scalar(c.name == "min_of" ? goMin(x, y) : goMax(x, y))
        case "sort", "sort_desc":
            if isRangeQuery { warn("PromQL warning: sort is ineffective for range queries since results are always ordered by labels") }
            let desc = c.name == "sort_desc"
            let v = try vector(c.args[0], t)
            return .vector(stableSorted(v) { x, y in
                if x.v.isNaN { return false }
                if y.v.isNaN { return true }
                return desc ? x.v > y.v : x.v < y.v
            })
        case "sort_by_label", "sort_by_label_desc":
            if isRangeQuery { warn("PromQL warning: sort is ineffective for range queries since results are always ordered by labels") }
            return .vector(try sortByLabel(c, t))
        case "label_replace": return .vector(try labelReplace(c, t))
        case "label_join": return .vector(try labelJoin(c, t))
        case "histogram_quantile": return .vector(try histogramQuantile(c, t))
        case "info": return .vector(try infoJoin(c, t))
        case "histogram_quantiles": return .vector(try histogramQuantiles(c, t))
        case "histogram_fraction": return .vector(try histogramFraction(c, t))
        case "histogram_count", "histogram_sum", "histogram_avg", "histogram_stddev", "histogram_stdvar":
            // Only native histograms carry these; float series yield nothing.
            _ = try vector(c.args[0], t)
            return .vector([])
        case "clamp":
            let lo = try scalar(c.args[1], t), hi = try scalar(c.args[2], t)
            if hi < lo { return .vector([]) }
            return .vector(try mapValues(c.args[0], t) { goMax(lo, goMin(hi, $0)) })
        case "clamp_min":
            let lo = try scalar(c.args[1], t)
            return .vector(try mapValues(c.args[0], t) { goMax(lo, $0) })
        case "clamp_max":
            let hi = try scalar(c.args[1], t)
            return .vector(try mapValues(c.args[0], t) { goMin(hi, $0) })
        case "round":
            let nearest = c.args.count > 1 ? try scalar(c.args[1], t) : 1
            let inverse = 1 / nearest
            return .vector(try mapValues(c.args[0], t) { ($0 * inverse + 0.5).rounded(.down) / inverse })
        case "minute", "hour", "day_of_week", "day_of_month", "day_of_year", "days_in_month", "month", "year":
            let input = c.args.isEmpty ? [EvalSample(labels: Labels(), v: Double(t) / 1000)] : try vector(c.args[0], t)
            let part = c.name
            return .vector(input.map { s in
                var o = s
                o.v = CivilTime(unixSeconds: s.v).component(part)
                o.dropName = true
                return o
            })
        default:
            guard let f = Evaluator.mathFunctions[c.name] else {
                throw PromQLError.execution("unknown function \(c.name)")
            }
            return .vector(try mapValues(c.args[0], t, f))
        }
    }

    static let mathFunctions: [String: @Sendable (Double) -> Double] = [
        "abs": { abs($0) }, "ceil": { ceil($0) }, "floor": { floor($0) }, "exp": { exp($0) },
        "ln": { log($0) }, "log2": { log2($0) }, "log10": { log10($0) }, "sqrt": { sqrt($0) },
        "sgn": { $0 < 0 ? -1 : ($0 > 0 ? 1 : $0) },
        "acos": { acos($0) }, "acosh": { acosh($0) }, "asin": { asin($0) }, "asinh": { asinh($0) },
        "atan": { atan($0) }, "atanh": { atanh($0) }, "cos": { cos($0) }, "cosh": { cosh($0) },
        "sin": { sin($0) }, "sinh": { sinh($0) }, "tan": { tan($0) }, "tanh": { tanh($0) },
        "deg": { $0 * 180 / Double.pi }, "rad": { $0 * Double.pi / 180 },
    ]

    func mapValues(_ arg: PromQLExpr, _ t: Int64, _ f: (Double) -> Double) throws(PromQLError) -> [EvalSample] {
        var v = try vector(arg, t)
        for i in v.indices {
            v[i].v = f(v[i].v)
            v[i].dropName = true
        }
        return v
    }

    func stringArg(_ e: PromQLExpr, _ t: Int64) throws(PromQLError) -> String {
        if case .string(let s) = try eval(e, t) { return s }
        throw PromQLError.execution("expected string argument")
    }

    func labelReplace(_ c: FunctionCall, _ t: Int64) throws(PromQLError) -> [EvalSample] {
        let dst = try stringArg(c.args[1], t), repl = try stringArg(c.args[2], t)
        let src = try stringArg(c.args[3], t), pattern = try stringArg(c.args[4], t)
        let re: RE2Regex
        do {
            _ = try RE2Regex(pattern)
            // Captures are unanchored in RE2's API; anchor in the pattern (groups keep their numbers).
            re = try RE2Regex("^(?:" + pattern + ")$")
        } catch {
            throw PromQLError.execution("invalid regular expression in label_replace(): \(pattern)")
        }
        guard isValidLabelName(dst) else { throw PromQLError.execution("invalid destination label name in label_replace(): \(dst)") }
        var out = try vector(c.args[0], t)
        for i in out.indices {
            let value = out[i].labels[src] ?? ""
            let bytes = Array(value.utf8)
            let expanded: String? = bytes.withUnsafeBytes { buf in re.captures(in: buf).map { re.expand(repl, captures: $0, in: buf) } }
            guard let result = expanded else { continue }
            out[i].relabel(out[i].labels.setting(dst, to: result))
            if dst == "__name__" { out[i].dropName = false }
        }
        return out
    }

    func labelJoin(_ c: FunctionCall, _ t: Int64) throws(PromQLError) -> [EvalSample] {
        let dst = try stringArg(c.args[1], t), sep = try stringArg(c.args[2], t)
        var srcs: [String] = []
        for a in c.args.dropFirst(3) { srcs.append(try stringArg(a, t)) }
        guard isValidLabelName(dst) else { throw PromQLError.execution("invalid destination label name in label_join(): \(dst)") }
        var out = try vector(c.args[0], t)
        for i in out.indices {
            let joined = srcs.map { out[i].labels[$0] ?? "" }.joined(separator: sep)
            out[i].relabel(out[i].labels.setting(dst, to: joined))
            if dst == "__name__" { out[i].dropName = false }
        }
        return out
    }

    func sortByLabel(_ c: FunctionCall, _ t: Int64) throws(PromQLError) -> [EvalSample] {
        var names: [String] = []
        for a in c.args.dropFirst() { names.append(try stringArg(a, t)) }
        let desc = c.name == "sort_by_label_desc"
        let v = try vector(c.args[0], t)
        return v.sorted { x, y in
            for n in names {
                let a = x.labels[n] ?? "", b = y.labels[n] ?? ""
                if a == b { continue }
                return desc ? naturalLess(b, a) : naturalLess(a, b)
            }
            return desc ? labelsLess(y.labels, x.labels) : labelsLess(x.labels, y.labels)
        }
    }
}

/// Label names as Prometheus 3 accepts them: any non-empty valid UTF-8.
func isValidLabelName(_ s: String) -> Bool { !s.isEmpty && !s.unicodeScalars.contains("\u{FFFD}") }

/// Natural order: runs of digits compare as numbers ("a2" < "a10").
func naturalLess(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var i = 0, j = 0
    while i < x.count, j < y.count {
        if isDigit(x[i]), isDigit(y[j]) {
            var i2 = i, j2 = j
            while i2 < x.count, isDigit(x[i2]) { i2 += 1 }
            while j2 < y.count, isDigit(y[j2]) { j2 += 1 }
            let na = x[i..<i2].drop { $0 == UInt8(ascii: "0") }, nb = y[j..<j2].drop { $0 == UInt8(ascii: "0") }
            if na.count != nb.count { return na.count < nb.count }
            if !na.elementsEqual(nb) { return na.lexicographicallyPrecedes(nb) }
            i = i2
            j = j2
        } else {
            if x[i] != y[j] { return x[i] < y[j] }
            i += 1
            j += 1
        }
    }
    return x.count - i < y.count - j
}

/// A UTC calendar breakdown of a unix time, for the date functions.
struct CivilTime {
    var year: Int, month: Int, day: Int, hour: Int, minute: Int, weekday: Int, dayOfYear: Int

    init(unixSeconds v: Double) {
        // NaN, infinities and times beyond int64 seconds have no calendar date; they all land
        // on one far-past instant instead of trapping.
        let secs = v > -9.2e18 && v < 9.2e18 ? Int64(v) : Int64.min / 2
        var days = secs / 86_400
        var rem = secs % 86_400
        if rem < 0 { rem += 86_400; days -= 1 }
        hour = Int(rem / 3600)
        minute = Int(rem % 3600 / 60)
        weekday = Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday (4).
        // Howard Hinnant's days-to-civil.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = Int(doy - (153 * mp + 2) / 5 + 1)
        month = Int(mp < 10 ? mp + 3 : mp - 9)
        year = Int(yoe + era * 400 + (month <= 2 ? 1 : 0))
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let cumulative = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]
        dayOfYear = cumulative[month - 1] + day + (leap && month > 2 ? 1 : 0)
    }

    var daysInMonth: Int {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    func component(_ name: String) -> Double {
        switch name {
        case "minute": return Double(minute)
        case "hour": return Double(hour)
        case "day_of_week": return Double(weekday)
        case "day_of_month": return Double(day)
        case "day_of_year": return Double(dayOfYear)
        case "days_in_month": return Double(daysInMonth)
        case "month": return Double(month)
        default: return Double(year)
        }
    }
}
