import Foundation
import KansokuCore
import KansokuLogStore
@testable import KansokuLogQL
import KansokuTestSupport

/// Runs Loki's `.logqltest` scripts: load streams, evaluate queries, compare results.
struct LogQLTestRunner {
    struct Outcome {
        /// Every eval by the line of its `eval` command, with its failure (nil when it passed).
        var cases: [(line: Int, failure: String?)] = []
        var failures: [String] = []
        var passed: Int { cases.count { $0.failure == nil } }
        var total: Int { cases.count }
    }

    enum Expectation {
        case values([(labels: Labels?, values: [Double?])])
        case empty
        case fail(msg: String?, regex: String?)
    }

    struct Eval {
        var line: Int
        var instant: Bool
        var start: Int64, end: Int64, step: Int64
        var query: String
        var ordered = false
        var expectation: Expectation = .values([])
    }

    /// Drops a `#` comment that is outside quotes.
    static func stripComment(_ s: Substring) -> Substring {
        var q: Character? = nil
        var prev: Character = " "
        for (i, c) in zip(s.indices, s) {
            if let qq = q {
                if c == qq && !(qq == "\"" && prev == "\\") { q = nil }
            } else if c == "\"" || c == "`" {
                q = c
            } else if c == "#" {
                return s[s.startIndex..<i]
            }
            prev = c
        }
        return s
    }

    static func duration(_ s: Substring) -> Int64? {
        if let ns = DurationParsing.parseAny(String(s)) { return ns }
        return nil
    }

    /// Where loaded streams live: an in-memory reader, or a real LogStore in a temporary directory.
    enum Backend { case memory, store }

    /// The engine over the current streams; rebuilt after each `clear`/`load`.
    final class EngineCache {
        let backend: Backend
        var engine: LogQLEngine?
        var store: LogStore?
        var directories: [String] = []

        init(_ backend: Backend) { self.backend = backend }

        func engine(for batches: [StreamBatch]) async throws -> LogQLEngine {
            if let engine { return engine }
            switch backend {
            case .memory:
                engine = LogQLEngine(reader: MemoryLogReader(batches, blockEntries: 7))
            case .store:
                if let store { try await store.close() }
                let dir = ScratchDirectory.path("logqltest")
                directories.append(dir)
                let st = try LogStore.open(LogStoreConfig(directory: dir, fsync: .never))
                if !batches.isEmpty { _ = try await st.append(batches) }
                store = st
                engine = LogQLEngine(store: st)
            }
            return engine!
        }

        func invalidate() { engine = nil }

        func finish() async {
            if let store { try? await store.close() }
            for d in directories { try? FileManager.default.removeItem(atPath: d) }
        }
    }

    static func run(file: String, backend: Backend = .memory) async -> Outcome {
        var out = Outcome()
        let cache = EngineCache(backend)
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return out }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var batches: [StreamBatch] = []
        var i = 0
        while i < lines.count {
            let raw = lines[i]
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { i += 1; continue }
            if trimmed == "clear" { batches = []; cache.invalidate(); i += 1; continue }
            if trimmed == "load" {
                cache.invalidate()
                i += 1
                while i < lines.count, lines[i].first == " " || lines[i].first == "\t" {
                    let l = stripComment(lines[i]).trimmingCharacters(in: .whitespaces)
                    i += 1
                    if l.isEmpty { continue }
                    if let b = parseLoad(Substring(l)) { batches.append(contentsOf: b) }
                }
                continue
            }
            if trimmed.hasPrefix("eval ") {
                guard var ev = parseEval(Substring(String(stripComment(Substring(trimmed))).trimmingCharacters(in: .whitespaces)), line: i + 1) else {
                    out.cases.append((i + 1, "cannot parse eval"))
                    out.failures.append("line \(i + 1): cannot parse eval")
                    i += 1
                    continue
                }
                i += 1
                var rows: [(Labels?, [Double?])] = []
                var badRow: String?
                while i < lines.count, lines[i].first == " " || lines[i].first == "\t" {
                    let l = stripComment(lines[i]).trimmingCharacters(in: .whitespaces)
                    i += 1
                    if l.isEmpty { continue }
                    if l == "expect empty" { ev.expectation = .empty; continue }
                    if l == "expect ordered" { ev.ordered = true; continue }
                    if l.hasPrefix("skip ") { continue }
                    if l.hasPrefix("expect fail") {
                        let rest = l.dropFirst("expect fail".count).trimmingCharacters(in: .whitespaces)
                        if rest.hasPrefix("msg:") { ev.expectation = .fail(msg: rest.dropFirst(4).trimmingCharacters(in: .whitespaces), regex: nil) }
                        else if rest.hasPrefix("regex:") { ev.expectation = .fail(msg: nil, regex: rest.dropFirst(6).trimmingCharacters(in: .whitespaces)) }
                        else { ev.expectation = .fail(msg: nil, regex: nil) }
                        continue
                    }
                    if let r = parseExpectationRow(Substring(l)) { rows.append(r) } else { badRow = badRow ?? "line \(i): bad expectation \(l)" }
                }
                if case .values = ev.expectation { ev.expectation = .values(rows.map { (labels: $0.0, values: $0.1) }) }
                var failure: String?
                do {
                    failure = await check(ev, engine: try await cache.engine(for: batches))
                } catch {
                    failure = "cannot load streams: \(error)"
                }
                // An expectation the runner cannot read fails the eval, never shrinks it.
                if let badRow { failure = badRow }
                out.cases.append((ev.line, failure))
                if let failure {
                    out.failures.append("\((file as NSString).lastPathComponent):\(ev.line): \(ev.query)\n    \(failure)")
                }
                continue
            }
            // A command the runner does not know counts as a failing case, never as nothing.
            out.cases.append((i + 1, "unknown command: \(trimmed)"))
            i += 1
        }
        await cache.finish()
        return out
    }

    static func parseLoad(_ l: Substring) -> [StreamBatch]? {
        guard let close = l.firstIndex(of: "}") else { return nil }
        let sel = String(l[l.startIndex...close])
        guard let matchers = try? LogQLParser.parseMatchers(sel) else { return nil }
        // empty label values mean "no such label", as on push
        let labels = Labels(matchers.filter { !$0.value.isEmpty }.map { Label(name: $0.name, value: $0.value) })
        var rest = l[l.index(after: close)...].drop { $0 == " " }
        guard let q = rest.first, q == "\"" || q == "`" else { return nil }
        rest = rest.dropFirst()
        guard let end = rest.firstIndex(of: q) else { return nil }
        let lineText = String(rest[rest.startIndex..<end])
        rest = rest[rest.index(after: end)...].drop { $0 == " " }
        guard rest.hasPrefix("@") else { return nil }
        rest = rest.dropFirst().drop { $0 == " " }
        let offText = rest.prefix { $0 != " " }
        guard let offset = duration(offText) else { return nil }
        rest = rest.dropFirst(offText.count).drop { $0 == " " }
        var every: Int64 = 0, count = 1
        var metadata = Labels()
        while rest.hasPrefix("[") {
            guard let closeB = rest.firstIndex(of: "]") else { return nil }
            let inner = rest[rest.index(after: rest.startIndex)..<closeB]
            rest = rest[rest.index(after: closeB)...].drop { $0 == " " }
            let words = inner.split(separator: " ", maxSplits: 1)
            if words.first == "repeat" {
                let parts = inner.split(separator: " ")
                guard parts.count == 5, let e = duration(parts[2]), let n = Int(parts[4]) else { return nil }
                every = e; count = n
            } else if words.first == "metadata", words.count == 2 {
                // name="value" pairs separated by spaces
                guard let toks = try? Lexer.tokenize(String(words[1])), toks.count % 3 == 0 else { return nil }
                var md: [Label] = []
                for k in stride(from: 0, to: toks.count, by: 3) {
                    guard toks[k + 1].kind == .eq, toks[k + 2].kind == .string else { return nil }
                    md.append(Label(name: toks[k].text, value: toks[k + 2].text))
                }
                metadata = Labels(md)
            } else { return nil }
        }
        var entries: [LogEntry] = []
        for k in 0..<count {
            let text = lineText.replacingOccurrences(of: "{{.i}}", with: String(k))
            entries.append(LogEntry(timestamp: offset + Int64(k) * every, line: Array(text.utf8), metadata: metadata))
        }
        return [StreamBatch(tenant: "fake", labels: labels, entries: entries)]
    }

    static func parseEval(_ l: Substring, line: Int) -> Eval? {
        let parts = l.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 4 else { return nil }
        if parts[1] == "instant", parts[2] == "at", let t = duration(parts[3]) {
            let q = parts.dropFirst(4).joined(separator: " ")
            return Eval(line: line, instant: true, start: t, end: t, step: 0, query: queryText(l, after: 4) ?? q)
        }
        if parts[1] == "range", parts.count >= 8, parts[2] == "from", parts[4] == "to", parts[6] == "step",
           let a = duration(parts[3]), let b = duration(parts[5]), let s = duration(parts[7]) {
            return Eval(line: line, instant: false, start: a, end: b, step: s, query: queryText(l, after: 8) ?? "")
        }
        return nil
    }

    /// The query text after `n` words, with its original spacing.
    static func queryText(_ l: Substring, after n: Int) -> String? {
        var rest = l
        for _ in 0..<n {
            rest = rest.drop { $0 == " " }
            rest = rest.drop { $0 != " " }
        }
        return String(rest.drop { $0 == " " })
    }

    static func parseValue(_ s: Substring) -> [Double?]? {
        if s == "_" { return [nil] }
        if let v = number(s) { return [v] }
        // a+bxN / a-bxN (N+1 points), _xN (N gaps)
        guard let x = s.lastIndex(of: "x"), let n = Int(s[s.index(after: x)...]) else { return nil }
        let head = s[s.startIndex..<x]
        if head == "_" { return [Double?](repeating: nil, count: n) }
        var split: String.Index? = nil
        var k = head.index(after: head.startIndex)
        while k < head.endIndex {
            if head[k] == "+" || head[k] == "-", head[head.index(before: k)] != "e" { split = k; break }
            k = head.index(after: k)
        }
        let a: Double, b: Double
        if let split {
            guard let av = number(head[head.startIndex..<split]), let bv = number(head[split...]) else { return nil }
            a = av; b = bv
        } else {
            guard let av = number(head) else { return nil }
            a = av; b = 0
        }
        return (0...n).map { a + Double($0) * b }
    }

    static func number(_ s: Substring) -> Double? {
        switch s {
        case "NaN": return .nan
        case "Inf", "+Inf": return .infinity
        case "-Inf": return -.infinity
        default: return Double(s)
        }
    }

    static func parseExpectationRow(_ l: Substring) -> (Labels?, [Double?])? {
        var labels: Labels? = nil
        var rest = l
        if l.hasPrefix("{") {
            guard let close = l.firstIndex(of: "}") else { return nil }
            let sel = String(l[l.startIndex...close])
            if sel == "{}" { labels = Labels() } else {
                guard let ms = try? LogQLParser.parseMatchers(sel) else { return nil }
                var ls: [Label] = []
                for m in ms { ls.append(Label(name: m.name, value: m.value)) }
                labels = Labels(sorted: ls.sorted())
            }
            rest = l[l.index(after: close)...]
        }
        var values: [Double?] = []
        for w in rest.split(separator: " ") {
            guard let v = parseValue(w) else { return nil }
            values.append(contentsOf: v)
        }
        return (labels, values)
    }

    static func same(_ a: Double?, _ b: Double?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a == b { return true }
        return abs(a - b) <= 1e-6 * max(abs(a), abs(b)) || abs(a - b) < 1e-9
    }

    /// nil when the evaluation matches its expectation, else why not.
    static func check(_ ev: Eval, engine: LogQLEngine) async -> String? {
        let result: LogQLResult
        do {
            if ev.instant {
                result = try await engine.queryInstant(ev.query, tenant: "fake", time: ev.start)
            } else {
                result = try await engine.queryRange(ev.query, tenant: "fake", start: ev.start, end: ev.end, step: ev.step, limit: 1000)
            }
        } catch {
            if case .fail(let msg, let regex) = ev.expectation {
                let text = error.description
                if let msg, !text.contains(msg) { return "error \(text) lacks \(msg)" }
                if let regex, let re = try? RE2Regex(regex), !re.matches(text) { return "error \(text) !~ \(regex)" }
                return nil
            }
            return "unexpected error: \(error)"
        }
        // got: label set → values
        var got: [(Labels, [Double?])] = []
        switch result.data {
        case .scalar(_, let v): got = [(Labels(), [v])]
        case .vector(let vs): got = vs.map { ($0.labels, [$0.value]) }
        case .matrix(let ms):
            let steps: [Int64] = Array(stride(from: ev.start, through: ev.end, by: Int64.Stride(ev.step)))
            got = ms.map { s in
                var vals = [Double?](repeating: nil, count: steps.count)
                for p in s.points { if let k = steps.firstIndex(of: p.timestamp) { vals[k] = p.value } }
                return (s.labels, vals)
            }
        case .streams: return "unexpected streams result"
        }
        switch ev.expectation {
        case .fail: return "expected failure, got \(got.count) series"
        case .empty:
            return got.isEmpty ? nil : "expected empty, got \(got.map { "\($0.0) \($0.1.map { $0.map { "\($0)" } ?? "_" })" })"
        case .values(let want):
            if case .scalar = result.data, want.count == 1, want[0].labels == nil {
                return same(got[0].1[0], want[0].values.first ?? nil) ? nil : "scalar: got \(got[0].1[0].map { "\($0)" } ?? "_") want \(want[0].values)"
            }
            if got.count != want.count {
                return "got \(got.count) series, want \(want.count): got \(got.map { "\($0.0) \($0.1.map { $0.map { "\($0)" } ?? "_" })" })"
            }
            for (k, w) in want.enumerated() {
                let wl = w.labels ?? Labels()
                guard let gi = ev.ordered ? (got[k].0 == wl ? k : nil) : got.firstIndex(where: { $0.0 == wl }) else {
                    return "missing series \(wl); got \(got.map { "\($0.0)" })"
                }
                let gv = got[gi].1
                if gv.count != w.values.count || !zip(gv, w.values).allSatisfy({ same($0, $1) }) {
                    return "series \(wl): got \(gv.map { $0.map { "\($0)" } ?? "_" }) want \(w.values.map { $0.map { "\($0)" } ?? "_" })"
                }
            }
            return nil
        }
    }
}
