import Foundation
import KansokuCore
@testable import KansokuPromQL

/// A parsed Prometheus `promqltest` script (the `.test` format): load/clear/eval commands.
struct PromQLTestScript {
    struct Expectation {
        var labels: Labels
        /// Values at consecutive positions; nil = no sample (`_`).
        var values: [Double?]
    }

    enum ExpectedResult {
        case empty
        case scalar(Double)
        case string(String)
        case series([Expectation])
    }

    struct Eval {
        var line: Int
        var expr: String
        var instant: Bool
        var at: Int64 = 0
        var start: Int64 = 0
        var end: Int64 = 0
        var step: Int64 = 0
        var fail = false
        var failMessage: String?
        var failRegex: String?
        var ordered = false
        var expectWarn = false
        var expectInfo = false
        var noWarn = false
        var noInfo = false
        /// `expect range vector from … to … step …` for an instant query returning a matrix.
        var rangeVector: (start: Int64, end: Int64, step: Int64)?
        var result: ExpectedResult = .empty
        /// Expected output mentions native histograms.
        var expectsHistogram = false
    }

    struct Load {
        var step: Int64
        var series: [(labels: Labels, values: [Double?], histogram: Bool)]
        var nhcb: Bool
    }

    enum Command {
        case load(Load)
        case clear
        case eval(Eval)
    }

    var commands: [Command] = []

    struct ParseError: Error, CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "line \(line): \(message)" }
    }

    init(_ text: String) throws {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { raw -> String in
            let t = raw.trimmingCharacters(in: .whitespaces)
            return t.hasPrefix("#") ? "" : t
        }
        var i = 0
        while i < lines.count {
            let line = lines[i]
            if line.isEmpty { i += 1; continue }
            let words = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            let cmd = words[0].lowercased()
            switch cmd {
            case "clear":
                commands.append(.clear)
                i += 1
            case "load", "load_with_nhcb":
                guard words.count > 1, let step = parseTestDuration(String(words[1])) else {
                    throw ParseError(line: i + 1, message: "invalid load step")
                }
                var load = Load(step: step, series: [], nhcb: cmd == "load_with_nhcb")
                i += 1
                while i < lines.count, !lines[i].isEmpty {
                    if lines[i].contains("@st ") || lines[i].hasSuffix("@st") { i += 1; continue }
                    let (labels, rest) = try splitSeries(lines[i], line: i + 1)
                    let hist = rest.contains("{{")
                    load.series.append((labels, hist ? [] : try expandValues(rest, line: i + 1), hist))
                    i += 1
                }
                commands.append(.load(load))
            default:
                guard cmd.hasPrefix("eval") else { throw ParseError(line: i + 1, message: "unknown command \(cmd)") }
                var e = try parseEvalHeader(line, line: i + 1)
                i += 1
                var expected: [Expectation] = []
                var scalar: Double?
                while i < lines.count, !lines[i].isEmpty {
                    let l = lines[i]
                    if l.hasPrefix("expect ") || l.hasPrefix("expected_fail_") {
                        try parseExpect(l, &e, line: i + 1)
                    } else if l.contains("{{") {
                        e.expectsHistogram = true
                    } else if let v = parseTestFloat(l) {
                        scalar = v
                    } else {
                        let (labels, rest) = try splitSeries(l, line: i + 1)
                        expected.append(Expectation(labels: labels, values: try expandValues(rest, line: i + 1)))
                    }
                    i += 1
                }
                if case .string = e.result {} else if let scalar {
                    e.result = .scalar(scalar)
                } else if !expected.isEmpty {
                    e.result = .series(expected)
                }
                commands.append(.eval(e))
            }
        }
    }

    private func parseEvalHeader(_ line: String, line n: Int) throws -> Eval {
        var rest = Substring(line)
        func word() -> String {
            rest = rest.drop { $0 == " " || $0 == "\t" }
            let w = rest.prefix { $0 != " " && $0 != "\t" }
            rest = rest.dropFirst(w.count)
            return String(w)
        }
        let head = word().lowercased()
        var e = Eval(line: n, expr: "", instant: true)
        switch head {
        case "eval_fail": e.fail = true
        case "eval_warn": e.expectWarn = true
        case "eval_info": e.expectInfo = true
        case "eval_ordered": e.ordered = true
        case "eval": break
        default: throw ParseError(line: n, message: "unknown eval form \(head)")
        }
        let kind = word()
        if kind == "instant" {
            guard word() == "at", let t = parseTestDuration(word()) else { throw ParseError(line: n, message: "bad instant eval") }
            e.at = t
        } else if kind == "range" {
            guard word() == "from", let s = parseTestDuration(word()), word() == "to", let en = parseTestDuration(word()),
                  word() == "step", let st = parseTestDuration(word()) else {
                throw ParseError(line: n, message: "bad range eval")
            }
            e.instant = false
            (e.start, e.end, e.step) = (s, en, st)
        } else {
            throw ParseError(line: n, message: "expected instant or range")
        }
        e.expr = rest.trimmingCharacters(in: .whitespaces)
        return e
    }

    private func parseExpect(_ l: String, _ e: inout Eval, line n: Int) throws {
        if l.hasPrefix("expected_fail_message") {
            e.failMessage = String(l.dropFirst("expected_fail_message".count)).trimmingCharacters(in: .whitespaces)
            return
        }
        if l.hasPrefix("expected_fail_regexp") {
            e.failRegex = String(l.dropFirst("expected_fail_regexp".count)).trimmingCharacters(in: .whitespaces)
            return
        }
        let body = l.dropFirst("expect ".count).trimmingCharacters(in: .whitespaces)
        let kind = body.prefix { $0 != " " && $0 != ":" }
        var arg = body.dropFirst(kind.count).trimmingCharacters(in: .whitespaces)
        switch kind {
        case "fail":
            e.fail = true
            if arg.hasPrefix("msg:") { e.failMessage = String(arg.dropFirst(4)).trimmingCharacters(in: .whitespaces) }
            if arg.hasPrefix("regex:") { e.failRegex = String(arg.dropFirst(6)).trimmingCharacters(in: .whitespaces) }
        case "warn": e.expectWarn = true
        case "info": e.expectInfo = true
        case "no_warn": e.noWarn = true
        case "no_info": e.noInfo = true
        case "ordered": e.ordered = true
        case "string":
            guard arg.count >= 2 else { throw ParseError(line: n, message: "bad expect string") }
            arg = String(arg.dropFirst().dropLast())
            if body.contains("\"") {
                // Double-quoted: unescape via the PromQL lexer.
                let parsed = try PromQLParser.parse("\"" + arg + "\"")
                if case .string(let s) = parsed { arg = s }
            }
            e.result = .string(arg)
        case "range":
            // expect range vector from <s> to <e> step <st>
            let w = arg.split(separator: " ").map(String.init)
            guard w.count == 7, w[0] == "vector", let s = parseTestDuration(w[2]), let en = parseTestDuration(w[4]),
                  let st = parseTestDuration(w[6]) else {
                throw ParseError(line: n, message: "bad expect range vector")
            }
            e.rangeVector = (s, en, st)
        default:
            throw ParseError(line: n, message: "unknown expect \(kind)")
        }
    }
}

/// A duration as the test format writes times: `50m`, `0`, `1h30m`, `-10s`, or seconds.
func parseTestDuration(_ s: String) -> Int64? {
    if s.hasPrefix("-") { return parseTestDuration(String(s.dropFirst())).map { -$0 } }
    if let d = PromDuration(s) { return d.milliseconds }
    if let v = Double(s) { return Int64((v * 1000).rounded()) }
    return nil
}

func parseTestFloat(_ s: String, allowHex: Bool = true) -> Double? {
    switch s.lowercased() {
    case "inf", "+inf": return .infinity
    case "-inf": return -.infinity
    case "nan": return .nan
    default:
        let lower = s.lowercased()
        if !allowHex, lower.contains("x") { return nil }
        if lower.hasPrefix("0x"), let v = UInt64(lower.dropFirst(2), radix: 16) { return Double(v) }
        if lower.hasPrefix("-0x"), let v = UInt64(lower.dropFirst(3), radix: 16) { return -Double(v) }
        guard let first = s.first, first.isNumber || first == "-" || first == "+" || first == "." else { return nil }
        return Double(s)
    }
}

/// Splits `name{a="b"} 1 2 3` into the label set and the value text.
func splitSeries(_ line: String, line n: Int) throws -> (Labels, String) {
    let chars = Array(line.unicodeScalars)
    var i = 0
    var inBrace = false, inQuote = false, escaped = false
    while i < chars.count {
        let c = chars[i]
        if inQuote {
            if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inQuote = false }
        } else if c == "\"" {
            inQuote = true
        } else if c == "{" {
            inBrace = true
        } else if c == "}" {
            inBrace = false
            i += 1
            break
        } else if !inBrace, c == " " || c == "\t" {
            break
        }
        i += 1
    }
    var seriesText = String(String.UnicodeScalarView(chars[0..<i]))
    let rest = String(String.UnicodeScalarView(chars[i...])).trimmingCharacters(in: .whitespaces)
    seriesText = seriesText.trimmingCharacters(in: .whitespaces)
    if seriesText == "{}" { return (Labels(), rest) }
    let expr: PromQLExpr
    do {
        expr = try PromQLParser.parse(seriesText)
    } catch {
        throw PromQLTestScript.ParseError(line: n, message: "bad series \(seriesText): \(error)")
    }
    guard case .vectorSelector(let v) = expr else {
        throw PromQLTestScript.ParseError(line: n, message: "not a series: \(seriesText)")
    }
    var labels: [Label] = []
    for m in v.matchers where m.type == .equal && !m.value.isEmpty {
        labels.append(Label(name: m.name, value: m.value))
    }
    return (Labels(labels), rest)
}

/// Expands value notation: `1 _ stale 0+10x3 1x2 _x3 -2-1x2`.
func expandValues(_ text: String, line n: Int) throws -> [Double?] {
    var out: [Double?] = []
    for tok in text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) {
        if tok == "_" { out.append(nil); continue }
        if tok == "stale" { out.append(PromQLStaleNaN.value); continue }
        if tok.hasPrefix("_x"), let k = Int(tok.dropFirst(2)) {
            out.append(contentsOf: Array(repeating: nil, count: k))
            continue
        }
        // In value sequences `x` always means repetition (`0x59` is 0 repeated), never hex.
        if let v = parseTestFloat(tok, allowHex: false) { out.append(v); continue }
        // a+bxn, a-bxn, axn
        guard let xi = tok.lastIndex(of: "x"), let count = Int(tok[tok.index(after: xi)...]) else {
            throw PromQLTestScript.ParseError(line: n, message: "bad value \(tok)")
        }
        let head = Array(tok[..<xi])
        var split: Int?
        var k = 1
        while k < head.count {
            if (head[k] == "+" || head[k] == "-"), head[k - 1] != "e", head[k - 1] != "E" { split = k; break }
            k += 1
        }
        if let s = split {
            guard let a = parseTestFloat(String(head[..<s])), let b = parseTestFloat(String(head[(s + 1)...])) else {
                throw PromQLTestScript.ParseError(line: n, message: "bad value \(tok)")
            }
            let sign: Double = head[s] == "+" ? 1 : -1
            // Prometheus accumulates by repeated addition.
            var v = a
            for j in 0...count {
                if j > 0 { v += sign * b }
                out.append(v)
            }
        } else {
            guard let a = parseTestFloat(String(head)) else { throw PromQLTestScript.ParseError(line: n, message: "bad value \(tok)") }
            out.append(contentsOf: Array(repeating: a, count: count + 1))
        }
    }
    return out
}
