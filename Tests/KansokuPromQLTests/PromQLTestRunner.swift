import Foundation
import KansokuCore
@testable import KansokuPromQL

/// Runs a `promqltest` script against the engine as Prometheus's own harness does: each
/// instant eval is also checked in range mode and, where step-invariant, with `@` added.
struct PromQLTestRunner {
    struct FileResult {
        struct Case {
            var line: Int
            var expr: String
            /// Nil when the eval passed.
            var failure: String?
            /// The eval reads or expects native histograms, which the engine does not support.
            var nativeHistograms: Bool
        }
        var cases: [Case] = []
        var passed: Int { cases.count { $0.failure == nil } }
        var total: Int { cases.count }
    }

    static let atModifierUnsafe: Set<String> = [
        "time", "timestamp", "predict_linear", "minute", "hour", "day_of_month", "day_of_week",
        "day_of_year", "days_in_month", "month", "year", "start", "end", "range", "step",
    ]

    static func run(_ script: PromQLTestScript) async -> FileResult {
        var result = FileResult()
        var store = InMemoryQueryable()
        var histogramSeries: [Labels] = []
        for cmd in script.commands {
            switch cmd {
            case .clear:
                store = InMemoryQueryable()
                histogramSeries = []
            case .load(let load):
                for s in load.series {
                    if s.histogram { histogramSeries.append(s.labels); continue }
                    for (i, v) in s.values.enumerated() {
                        if let v { store.add(s.labels, t: Int64(i) * load.step, v: v) }
                    }
                    if load.nhcb, let name = s.labels["__name__"], name.hasSuffix("_bucket") {
                        let base = String(name.dropLast("_bucket".count))
                        histogramSeries.append(s.labels.setting("__name__", to: base).removing(["le"]))
                    }
                }
            case .eval(let e):
                // Every eval runs, native histogram ones too (their series are not loaded, so
                // they fail and stand in the suite's exclusion list under that reason).
                let native = e.expectsHistogram || touchesHistograms(e.expr, histogramSeries)
                let engine = PromQLEngine(queryable: store)
                let err = await check(e, engine)
                result.cases.append(.init(line: e.line, expr: e.expr, failure: err, nativeHistograms: native))
            }
        }
        return result
    }

    /// Whether any selector of `expr` matches a series loaded with native histogram samples.
    static func touchesHistograms(_ expr: String, _ hist: [Labels]) -> Bool {
        guard !hist.isEmpty else { return false }
        guard let e = try? PromQLParser.parse(expr) else {
            // Unparsable (newer syntax): decide by the metric names the text mentions.
            let words = Set(expr.split { !($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }.map(String.init))
            return hist.contains { words.contains($0["__name__"] ?? "") }
        }
        var hit = false
        e.walk { node in
            var matchers: [LabelMatcher]?
            if case .vectorSelector(let v) = node { matchers = v.matchers }
            if case .matrixSelector(let m) = node { matchers = m.selector.matchers }
            if let matchers, hist.contains(where: { matchers.matches($0) }) { hit = true }
        }
        return hit
    }

    static func check(_ e: PromQLTestScript.Eval, _ engine: PromQLEngine) async -> String? {
        if !e.instant {
            let r: PromQLResult
            do {
                r = try await engine.rangeQueryResult(e.expr, start: e.start, end: e.end, step: e.step)
            } catch {
                return e.fail ? checkFailure(e, error) : "unexpected error: \(error)"
            }
            if e.fail { return "expected error, got none" }
            if let a = checkAnnotations(e, r) { return a }
            return compareRange(e, r.value)
        }
        if let err = await checkInstant(e, engine, expr: e.expr, at: e.at, primary: true) { return err }
        // Step invariance with `@`, as the reference harness checks it.
        guard let parsed = try? PromQLParser.parse(e.expr) else { return nil }
        var unsafe = false
        parsed.walk { if case .call(let c) = $0, atModifierUnsafe.contains(c.name) { unsafe = true } }
        if parsed.hasQueryDependentDurations { unsafe = true }
        if unsafe { return nil }
        let withAt = addAt(parsed, e.at).description
        let times: [Int64] = e.at == 0 ? [-1000, 0, 1000] : [-10 * e.at, 0, e.at / 5, e.at, 10 * e.at]
        for t in times {
            if let err = await checkInstant(e, engine, expr: withAt, at: t, primary: false) {
                return "with @ (\(withAt) at \(t)ms): \(err)"
            }
        }
        return nil
    }

    static func checkInstant(_ e: PromQLTestScript.Eval, _ engine: PromQLEngine, expr: String, at: Int64, primary: Bool) async -> String? {
        let r: PromQLResult
        do {
            r = try await engine.instantQueryResult(expr, at: at)
        } catch {
            return e.fail ? checkFailure(e, error) : "unexpected error: \(error)"
        }
        if e.fail { return "expected error, got none" }
        if primary, let a = checkAnnotations(e, r) { return a }
        if let err = compareInstant(e, r.value) { return err }
        // Range mode: the middle step of [t-1m, t+1m] must agree.
        if e.ordered { return nil }
        if case .matrix = r.value { return nil }
        if case .string = r.value { return nil }
        if let p = try? PromQLParser.parse(expr) {
            var skip = false
            p.walk { if case .call(let c) = $0, ["start", "end", "range", "step"].contains(c.name) { skip = true } }
            if p.hasQueryDependentDurations { skip = true }
            if skip { return nil }
        }
        let rr: PromQLResult
        do {
            rr = try await engine.rangeQueryResult(expr, start: at - 60_000, end: at + 60_000, step: 60_000)
        } catch {
            return "range mode: unexpected error: \(error)"
        }
        guard case .matrix(let m) = rr.value else { return "range mode: not a matrix" }
        var samples: [PromQLSample] = []
        for s in m {
            if let p = s.points.first(where: { $0.t == at }) { samples.append(PromQLSample(labels: s.labels, t: at, v: p.v)) }
        }
        if case .scalar = r.value {
            guard let first = samples.first else { return "range mode: no scalar" }
            return compareInstant(e, .scalar(t: at, v: first.v)).map { "range mode: \($0)" }
        }
        return compareInstant(e, .vector(samples)).map { "range mode: \($0)" }
    }

    static func checkFailure(_ e: PromQLTestScript.Eval, _ error: any Error) -> String? {
        let msg = (error as? PromQLError)?.message ?? "\(error)"
        let full = "\(error)"
        if let want = e.failMessage, want != msg, want != full { return "error \(full) != expected \(want)" }
        if let re = e.failRegex, let r = try? RE2Regex(re), r.firstMatch(in: full) == nil, r.firstMatch(in: msg) == nil {
            return "error \(full) does not match \(re)"
        }
        return nil
    }

    static func checkAnnotations(_ e: PromQLTestScript.Eval, _ r: PromQLResult) -> String? {
        if e.expectWarn, r.warnings.isEmpty { return "expected a warning" }
        if e.expectInfo, r.infos.isEmpty { return "expected an info annotation" }
        if e.noWarn, !r.warnings.isEmpty { return "unexpected warnings \(r.warnings)" }
        if e.noInfo, !r.infos.isEmpty { return "unexpected infos \(r.infos)" }
        return nil
    }

    static func equal(_ a: Double, _ b: Double) -> Bool {
        if PromQLStaleNaN.isStale(a) || PromQLStaleNaN.isStale(b) {
            return PromQLStaleNaN.isStale(a) && PromQLStaleNaN.isStale(b)
        }
        return almostEqual(a, b, 1e-6)
    }

    static func compareInstant(_ e: PromQLTestScript.Eval, _ v: PromQLValue) -> String? {
        switch (e.result, v) {
        case (.string(let want), .string(_, let got)):
            return want == got ? nil : "string \(got) != \(want)"
        case (.scalar(let want), .scalar(_, let got)):
            return equal(want, got) ? nil : "scalar \(got) != \(want)"
        case (.empty, .vector(let got)):
            return got.isEmpty ? nil : "expected empty, got \(got.count) samples: \(describe(got))"
        case (.empty, .matrix(let got)):
            return got.isEmpty ? nil : "expected empty, got \(got.count) series"
        case (.series(let want), .vector(let got)):
            if e.rangeVector != nil { return "expected range vector, got vector" }
            if want.count != got.count { return "expected \(want.count) samples, got \(got.count): \(describe(got))" }
            for (i, w) in want.enumerated() {
                guard w.values.count == 1, let wv = w.values[0] else { return "bad expectation for \(w.labels)" }
                if e.ordered {
                    if got[i].labels != w.labels { return "order: position \(i) has \(got[i].labels), want \(w.labels)" }
                    if !equal(got[i].v, wv) { return "\(w.labels): \(got[i].v) != \(wv)" }
                } else {
                    guard let g = got.first(where: { $0.labels == w.labels }) else {
                        return "missing \(w.labels); got \(describe(got))"
                    }
                    if !equal(g.v, wv) { return "\(w.labels): \(g.v) != \(wv)" }
                }
            }
            return nil
        case (.series(let want), .matrix(let got)):
            guard let rv = e.rangeVector else { return "expected vector, got matrix" }
            return compareMatrix(want, got, start: rv.start, step: rv.step)
        default:
            return "result type mismatch: expected \(e.result), got \(v)"
        }
    }

    static func compareRange(_ e: PromQLTestScript.Eval, _ v: PromQLValue) -> String? {
        guard case .matrix(let got) = v else { return "range result not a matrix" }
        switch e.result {
        case .empty: return got.isEmpty ? nil : "expected empty, got \(got.count) series"
        case .series(let want): return compareMatrix(want, got, start: e.start, step: e.step)
        case .scalar(let x): return compareMatrix([.init(labels: Labels(), values: [x])], got, start: e.start, step: e.step)
        case .string: return "string expected from range query"
        }
    }

    static func compareMatrix(_ want: [PromQLTestScript.Expectation], _ got: [PromQLSeries], start: Int64, step: Int64) -> String? {
        for i in got.indices.dropFirst() where !labelsLess(got[i - 1].labels, got[i].labels) {
            return "matrix not sorted by labels"
        }
        let wanted = want.filter { $0.values.contains { $0 != nil } }
        if wanted.count != got.count {
            return "expected \(wanted.count) series, got \(got.count): \(got.map { "\($0.labels)" })"
        }
        for w in wanted {
            guard let g = got.first(where: { $0.labels == w.labels }) else { return "missing series \(w.labels)" }
            var points: [PromQLPoint] = []
            for (i, v) in w.values.enumerated() { if let v { points.append(PromQLPoint(t: start + Int64(i) * step, v: v)) } }
            if points.count != g.points.count {
                return "\(w.labels): expected \(points.count) points, got \(g.points.count): \(g.points.map { "\($0.v)@\($0.t)" })"
            }
            for (p, q) in zip(points, g.points) where p.t != q.t || !equal(p.v, q.v) {
                return "\(w.labels): point \(q.v)@\(q.t) != \(p.v)@\(p.t)"
            }
        }
        return nil
    }

    static func describe(_ s: [PromQLSample]) -> String {
        s.prefix(6).map { "\($0.labels) \($0.v)" }.joined(separator: "; ")
    }

    /// Adds `@ t` to every selector and subquery without one, not descending into subqueries.
    static func addAt(_ e: PromQLExpr, _ t: Int64) -> PromQLExpr {
        switch e {
        case .vectorSelector(var v):
            if v.at == nil { v.at = .timestamp(t) }
            return .vectorSelector(v)
        case .matrixSelector(var m):
            if m.selector.at == nil { m.selector.at = .timestamp(t) }
            return .matrixSelector(m)
        case .subquery(var s):
            if s.at == nil { s.at = .timestamp(t) }
            return .subquery(s)
        case .number, .string: return e
        case .call(var c):
            c.args = c.args.map { addAt($0, t) }
            return .call(c)
        case .aggregate(var a):
            a.expr = addAt(a.expr, t)
            a.param = a.param.map { addAt($0, t) }
            return .aggregate(a)
        case .binary(var b):
            b.lhs = addAt(b.lhs, t)
            b.rhs = addAt(b.rhs, t)
            return .binary(b)
        case .unaryMinus(let x): return .unaryMinus(addAt(x, t))
        case .paren(let x): return .paren(addAt(x, t))
        }
    }
}
