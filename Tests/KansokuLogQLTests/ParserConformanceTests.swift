import KansokuTestSupport
import Testing
@testable import KansokuLogQL

@Suite struct ParserConformanceTests {
    @Test(.requires(Conformance.requirement))
    func queries() throws {
        let (rows, raw) = try Conformance.requireRows("queries.tsv")
        var ledger = ConformanceLedger("LOGQL queries.tsv", exclusions: LogQLConformanceExclusions.queries)
        var failures: [String] = []
        for (n, (r, rawRow)) in zip(rows, raw).enumerated() {
            let before = failures.count
            let valid = r[0] == "1", query = r[1], canonical = r[2]
            var ok = false
            do {
                let e = try LogQLParser.parse(bytes: rawRow[1])
                if valid {
                    let printed = e.description
                    // the canonical form must re-parse to itself
                    // the canonical form must re-parse to itself (non-finite numbers have no spelling)
                    let finite = !printed.contains("Inf") && !printed.contains("NaN")
                    let again = finite ? (try? LogQLParser.parse(printed))?.description : printed
                    ok = (canonical.isEmpty || printed == canonical) && again == printed
                    if !ok { failures.append("PRINT \(query)\n   got  \(printed)\n   want \(canonical)\n   again \(again ?? "nil")") }
                } else {
                    failures.append("ACCEPTED \(query)")
                }
            } catch {
                if case .parse = error, !valid { ok = true } else { failures.append("REJECTED \(query): \(error)") }
            }
            ledger.record("queries.tsv row \(n + 1)", passed: ok, detail: failures.count > before ? failures[before] : "")
        }
        // 52 rows of the corpus are not queries (log lines and label names that the extraction
        // took from Test_FilterMatcher and extractor tests); they fail to parse, as in Loki.
        for f in failures.prefix(60) { print(f) }
        ledger.finish()
    }

    @Test(.requires(Conformance.requirement))
    func parseErrors() throws {
        let (rows, raw) = try Conformance.requireRows("parse_errors.tsv")
        var ledger = ConformanceLedger("LOGQL parse_errors.tsv", exclusions: LogQLConformanceExclusions.parseErrors)
        for (n, (r, rawRow)) in zip(rows, raw).enumerated() {
            let id = "parse_errors.tsv row \(n + 1)"
            let want = LogQLError.parse(message: r[1], line: Int(r[2]) ?? -1, column: Int(r[3]) ?? -1)
            do {
                _ = try LogQLParser.parse(bytes: rawRow[0])
                ledger.record(id, passed: false, detail: "accepted \(r[0])")
            } catch {
                ledger.record(id, passed: error == want, detail: "\(r[0]): got \(error), want \(want)")
            }
        }
        ledger.finish()
    }

    @Test(.requires(Conformance.requirement))
    func lex() throws {
        let (rows, _) = try Conformance.requireRows("lex.tsv")
        var ledger = ConformanceLedger("LOGQL lex.tsv", exclusions: LogQLConformanceExclusions.lex)
        for (n, r) in rows.enumerated() {
            // Loki's lexer test collects tokens up to the first lexing error.
            var lx = Lexer(r[0])
            var kinds: [String] = []
            while let t = try? lx.next(), t.kind != .eof { kinds.append(t.kind.rawValue) }
            let got: String? = kinds.joined(separator: " ")
            ledger.record("lex.tsv row \(n + 1)", passed: got == r[1], detail: "\(r[0]): got \(got ?? "error"), want \(r[1])")
        }
        ledger.finish()
    }

    @Test(.requires(Conformance.requirement))
    func pattern() throws {
        let (rows, _) = try Conformance.requireRows("pattern.tsv")
        var ledger = ConformanceLedger("LOGQL pattern.tsv", exclusions: LogQLConformanceExclusions.pattern)
        for (n, r) in rows.enumerated() {
            let kind = r[0], pattern = r[1], line = r[2], expected = r[3] == "1"
            var ok = false
            switch kind {
            case "match":
                if let m = try? PatternMatcher(pattern, forLineFilter: false) {
                    var bytes = Array(line.utf8)
                    let (t, caps) = bytes.withUnsafeMutableBytes { b in
                        let rb = UnsafeRawBufferPointer(b)
                        return (m.test(rb), (m.captures(rb) ?? []).map { String(decoding: rb[$0], as: UTF8.self) })
                    }
                    let capsJSON = "[" + caps.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
                    ok = t == expected && capsJSON == r[4]
                    if !ok { print("PATTERN \(pattern) | \(line): got \(t) \(capsJSON) want \(expected) \(r[4])") }
                }
            case "parser_valid": ok = ((try? PatternMatcher(pattern, forLineFilter: false)) != nil) == expected
            case "linefilter_valid": ok = ((try? PatternMatcher(pattern, forLineFilter: true)) != nil) == expected
            case "parse_ok": ok = !PatternMatcher.nodes(of: pattern).isEmpty == expected
            default: break
            }
            ledger.record("pattern.tsv row \(n + 1)", passed: ok, detail: "\(kind) \(pattern) | \(line): want \(expected) \(r.count > 4 ? r[4] : "")")
        }
        ledger.finish()
    }
}

@Suite struct PrettierConformanceTests {
    @Test(.requires(Conformance.requirement))
    func pretty() throws {
        let (rows, _) = try Conformance.requireRows("pretty.tsv")
        var ledger = ConformanceLedger("LOGQL pretty.tsv", exclusions: LogQLConformanceExclusions.pretty)
        let p = LogQLPrettier(maxCharsPerLine: 20)
        for (n, r) in rows.enumerated() {
            let id = "pretty.tsv row \(n + 1)"
            do {
                let got = p.format(try LogQLParser.parse(r[0]))
                ledger.record(id, passed: got == r[1], detail: "\(r[0])\n--- got\n\(got)\n--- want\n\(r[1])")
            } catch {
                ledger.record(id, passed: false, detail: "\(r[0]): \(error)")
            }
        }
        ledger.finish()
    }
}
