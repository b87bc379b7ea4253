import Foundation
import KansokuCore

/// Parses the Go text/template subset `AlertTemplate` runs.
struct TemplateParser {
    typealias Node = AlertTemplate.Node
    typealias Command = AlertTemplate.Command
    typealias Operand = AlertTemplate.Operand
    typealias TemplateError = AlertTemplate.TemplateError

    let s: [Character]
    var i = 0
    /// Open `{{if}}` blocks; each is parsed and rendered by one more level of recursion.
    var depth = 0

    /// The deepest nesting of `{{if}}` blocks, and of parentheses in one action.
    static let maxDepth = 256

    init(_ text: String) { s = Array(text) }

    /// Nodes up to the end of input, or (inside an `if`) up to `{{ else }}` / `{{ end }}`.
    mutating func parseNodes(untilEnd: Bool) throws(TemplateError) -> (nodes: [Node], terminator: String?) {
        var nodes: [Node] = []
        var text = ""
        while i < s.count {
            if s[i] == "{", i + 1 < s.count, s[i + 1] == "{" {
                var j = i + 2
                var trimLeft = false
                if j + 1 < s.count, s[j] == "-", s[j + 1] == " " || s[j + 1] == "\t" || s[j + 1] == "\n" {
                    trimLeft = true
                    j += 1
                }
                guard let close = findClose(from: j) else { throw TemplateError(message: "unclosed action") }
                var inner = String(s[j..<close])
                var after = close + 2
                if inner.hasSuffix(" -") || inner.hasSuffix("\t-") || inner.hasSuffix("\n-") {
                    inner.removeLast()
                    while after < s.count, s[after] == " " || s[after] == "\t" || s[after] == "\n" || s[after] == "\r" { after += 1 }
                }
                if trimLeft { while let l = text.last, l == " " || l == "\t" || l == "\n" || l == "\r" { text.removeLast() } }
                if !text.isEmpty { nodes.append(.text(text)); text = "" }
                i = after
                let body = inner.trimmingSpaces
                if body.hasPrefix("/*") { continue }
                let words = body.split(separator: " ", maxSplits: 1).map(String.init)
                switch words.first ?? "" {
                case "end", "else":
                    guard untilEnd else { throw TemplateError(message: "unexpected {{\(words[0])}}") }
                    return (nodes, words[0])
                case "if":
                    let cond = try Self.parsePipeline(words.count > 1 ? words[1] : "")
                    depth += 1
                    defer { depth -= 1 }
                    guard depth <= Self.maxDepth else {
                        throw TemplateError(message: "if blocks nested deeper than \(Self.maxDepth) levels")
                    }
                    let (then, term) = try parseNodes(untilEnd: true)
                    var otherwise: [Node] = []
                    if term == "else" {
                        let (o, t2) = try parseNodes(untilEnd: true)
                        guard t2 == "end" else { throw TemplateError(message: "missing {{end}}") }
                        otherwise = o
                    } else if term != "end" {
                        throw TemplateError(message: "missing {{end}}")
                    }
                    nodes.append(.ifBlock(cond: cond, then: then, otherwise: otherwise))
                default:
                    // `$x := …` assignments of Prometheus's preamble are implicit here.
                    if body.range(of: ":=") != nil { continue }
                    nodes.append(.action(try Self.parsePipeline(body)))
                }
                continue
            }
            text.append(s[i])
            i += 1
        }
        if untilEnd { throw TemplateError(message: "missing {{end}}") }
        if !text.isEmpty { nodes.append(.text(text)) }
        return (nodes, nil)
    }

    /// The `}}` closing an action, skipping string literals.
    private func findClose(from start: Int) -> Int? {
        var j = start
        while j + 1 < s.count {
            if s[j] == "\"" || s[j] == "`" {
                let q = s[j]
                j += 1
                while j < s.count, s[j] != q { if s[j] == "\\", q == "\"" { j += 1 }; j += 1 }
                j += 1
                continue
            }
            if s[j] == "}", s[j + 1] == "}" { return j }
            j += 1
        }
        return nil
    }

    static func parsePipeline(_ text: String) throws(TemplateError) -> [Command] {
        var tokens = try tokenize(text)
        var pos = 0
        let p = try parsePipelineTokens(&tokens, &pos)
        if pos != tokens.count { throw TemplateError(message: "unexpected \(tokens[pos]) in \(text)") }
        return p
    }

    enum Token: CustomStringConvertible {
        case word(String), string(String), number(Double), pipe, lparen, rparen
        var description: String {
            switch self {
            case .word(let w): w
            case .string(let s): goQuoted(s)
            case .number(let n): GoFloat.shortest(n)
            case .pipe: "|"
            case .lparen: "("
            case .rparen: ")"
            }
        }
    }

    static func tokenize(_ text: String) throws(TemplateError) -> [Token] {
        let c = Array(text)
        var out: [Token] = []
        var i = 0
        while i < c.count {
            let ch = c[i]
            if ch == " " || ch == "\t" || ch == "\n" { i += 1; continue }
            if ch == "|" { out.append(.pipe); i += 1; continue }
            if ch == "(" { out.append(.lparen); i += 1; continue }
            if ch == ")" { out.append(.rparen); i += 1; continue }
            if ch == "\"" {
                var v = ""
                i += 1
                while i < c.count, c[i] != "\"" {
                    if c[i] == "\\", i + 1 < c.count {
                        i += 1
                        switch c[i] {
                        case "n": v.append("\n")
                        case "t": v.append("\t")
                        default: v.append(c[i])
                        }
                    } else {
                        v.append(c[i])
                    }
                    i += 1
                }
                guard i < c.count else { throw TemplateError(message: "unterminated quoted string") }
                i += 1
                out.append(.string(v))
                continue
            }
            if ch == "`" {
                var v = ""
                i += 1
                while i < c.count, c[i] != "`" { v.append(c[i]); i += 1 }
                guard i < c.count else { throw TemplateError(message: "unterminated raw string") }
                i += 1
                out.append(.string(v))
                continue
            }
            var w = ""
            while i < c.count, !" \t\n|()\"`".contains(c[i]) { w.append(c[i]); i += 1 }
            if let n = Double(w), let f = w.first, f.isNumber || f == "-" || f == "+" || f == "." {
                out.append(.number(n))
            } else {
                out.append(.word(w))
            }
        }
        return out
    }

    static func parsePipelineTokens(_ t: inout [Token], _ pos: inout Int, depth: Int = 0) throws(TemplateError) -> [Command] {
        guard depth <= maxDepth else { throw TemplateError(message: "parentheses nested deeper than \(maxDepth) levels") }
        var cmds: [Command] = []
        while true {
            var ops: [Operand] = []
            var function: String?
            while pos < t.count {
                if case .pipe = t[pos] { break }
                if case .rparen = t[pos] { break }
                let tok = t[pos]
                pos += 1
                switch tok {
                case .string(let s): ops.append(.string(s))
                case .number(let n): ops.append(.number(n))
                case .lparen:
                    let inner = try parsePipelineTokens(&t, &pos, depth: depth + 1)
                    guard pos < t.count, case .rparen = t[pos] else { throw TemplateError(message: "unclosed left paren") }
                    pos += 1
                    ops.append(.pipeline(inner))
                case .word(let w):
                    if w == "true" || w == "false" { ops.append(.bool(w == "true")) }
                    else if w.hasPrefix("$") {
                        let parts = w.dropFirst().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
                        ops.append(.variable(parts[0], Array(parts.dropFirst())))
                    } else if w.hasPrefix(".") {
                        ops.append(.field(w.dropFirst().split(separator: ".").map(String.init)))
                    } else if ops.isEmpty && function == nil {
                        guard TemplateFunctions.names.contains(w) else { throw TemplateError(message: "function \"\(w)\" not defined") }
                        function = w
                    } else {
                        throw TemplateError(message: "unexpected \(w)")
                    }
                default: break
                }
            }
            if function == nil && ops.isEmpty { throw TemplateError(message: "missing value for command") }
            cmds.append(Command(function: function, args: ops))
            if pos < t.count, case .pipe = t[pos] { pos += 1; continue }
            return cmds
        }
    }
}

/// Prometheus's template functions (the ones that need no query access).
enum TemplateFunctions {
    typealias Value = AlertTemplate.Value
    typealias TemplateError = AlertTemplate.TemplateError

    static let names: Set<String> = [
        "humanize", "humanize1024", "humanizePercentage", "humanizeDuration", "humanizeTimestamp", "printf",
        "toUpper", "toLower", "title", "reReplaceAll", "match", "stripPort", "stripDomain", "eq", "ne", "lt", "le",
        "gt", "ge", "and", "or", "not", "len", "index", "print", "urlquery", "html", "js", "safeHtml", "toTime", "parseDuration",
    ]

    static func number(_ v: Value) throws(TemplateError) -> Double {
        switch v {
        case .number(let n): return n
        case .string(let s):
            guard let n = Double(s.trimmingSpaces) else { throw TemplateError(message: "cannot convert \(goQuoted(s)) to a number") }
            return n
        case .bool(let b): return b ? 1 : 0
        default: throw TemplateError(message: "expected a number")
        }
    }

    static func string(_ v: Value) -> String { AlertTemplate.text(v) }

    /// `%.4g` as Go prints it.
    static func g4(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
        return String(format: "%.4g", v)
    }

    static func call(_ name: String, _ a: [Value]) throws(TemplateError) -> Value {
        func arg(_ i: Int) throws(TemplateError) -> Value {
            guard i < a.count else { throw TemplateError(message: "wrong number of args for \(name)") }
            return a[i]
        }
        switch name {
        case "humanize": return .string(humanize(try number(try arg(0))))
        case "humanize1024":
            var v = try number(try arg(0))
            if v.magnitude < 1 { return .string(g4(v)) }
            var prefix = ""
            for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] where v.magnitude >= 1024 { prefix = p; v /= 1024 }
            return .string(g4(v) + prefix)
        case "humanizePercentage": return .string(g4(try number(try arg(0)) * 100) + "%")
        case "humanizeDuration": return .string(humanizeDuration(try number(try arg(0))))
        case "humanizeTimestamp":
            let v = try number(try arg(0))
            return .string(TimeFormatter.rfc3339Nano(int64(v * 1e9)))
        case "toUpper": return .string(string(try arg(0)).uppercased())
        case "toLower": return .string(string(try arg(0)).lowercased())
        case "title": return .string(string(try arg(0)).split(separator: " ", omittingEmptySubsequences: false).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " "))
        case "stripPort":
            let s = string(try arg(0))
            if s.hasPrefix("["), let e = s.firstIndex(of: "]") { return .string(String(s[s.index(after: s.startIndex)..<e])) }
            if let c = s.lastIndex(of: ":"), s.filter({ $0 == ":" }).count == 1 { return .string(String(s[..<c])) }
            return .string(s)
        case "stripDomain":
            let s = string(try arg(0))
            var host = s, port = ""
            if let c = s.lastIndex(of: ":"), s.filter({ $0 == ":" }).count == 1 { host = String(s[..<c]); port = String(s[c...]) }
            if let d = host.firstIndex(of: "."), Double(host) == nil { host = String(host[..<d]) }
            return .string(host + port)
        case "reReplaceAll":
            let pattern = string(try arg(0)), repl = string(try arg(1)), text = string(try arg(2))
            guard let re = try? RE2Regex(pattern) else { throw TemplateError(message: "invalid regexp \(goQuoted(pattern))") }
            guard let out = re.replaceAll(in: text, with: repl, limit: AlertTemplate.maxOutputBytes) else {
                try AlertTemplate.checkSize(Int.max)
                return .none
            }
            return .string(out)
        case "match":
            let pattern = string(try arg(0)), text = string(try arg(1))
            guard let re = try? RE2Regex(pattern) else { throw TemplateError(message: "invalid regexp \(goQuoted(pattern))") }
            return .bool(re.firstMatch(in: text) != nil)
        case "eq", "ne", "lt", "le", "gt", "ge":
            let l = try arg(0), r = try arg(1)
            let c: Int
            if case .string(let ls) = l, case .string(let rs) = r { c = ls < rs ? -1 : (ls == rs ? 0 : 1) }
            else {
                let x = try number(l), y = try number(r)
                c = x < y ? -1 : (x == y ? 0 : 1)
            }
            switch name {
            case "eq": return .bool(c == 0)
            case "ne": return .bool(c != 0)
            case "lt": return .bool(c < 0)
            case "le": return .bool(c <= 0)
            case "gt": return .bool(c > 0)
            default: return .bool(c >= 0)
            }
        case "and": return a.first(where: { !$0.truthy }) ?? a.last ?? .none
        case "or": return a.first(where: { $0.truthy }) ?? a.last ?? .none
        case "not": return .bool(!(try arg(0)).truthy)
        case "len":
            switch try arg(0) {
            case .string(let s): return .number(Double(s.count))
            case .map(let m): return .number(Double(m.count))
            default: throw TemplateError(message: "len of unsupported value")
            }
        case "index":
            guard case .map(let m) = try arg(0) else { throw TemplateError(message: "index of non-map") }
            return m[string(try arg(1))].map { .string($0) } ?? .none
        case "print": return .string(a.map(string).joined())
        case "urlquery": return .string(string(try arg(0)).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        case "html", "js", "safeHtml": return .string(string(try arg(0)))
        case "toTime": return .string(TimeFormatter.rfc3339Nano(int64(try number(try arg(0)) * 1e9)))
        case "parseDuration":
            guard let d = PromDuration(string(try arg(0))) else { throw TemplateError(message: "invalid duration") }
            return .number(d.seconds)
        case "printf": return .string(try printf(string(try arg(0)), Array(a.dropFirst())))
        default: throw TemplateError(message: "function \"\(name)\" not defined")
        }
    }

    /// Go's float-to-int conversion without the trap (NaN and out-of-range give Int64.min).
    static func int64(_ f: Double) -> Int64 {
        guard f.isFinite, f > -9.2e18, f < 9.2e18 else { return .min }
        return Int64(f)
    }

    static func humanize(_ value: Double) -> String {
        var v = value
        if v == 0 || v.isNaN || v.isInfinite { return g4(v) }
        var prefix = ""
        if v.magnitude >= 1 {
            for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
                if v.magnitude < 1000 { break }
                prefix = p
                v /= 1000
            }
        } else {
            for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
                if v.magnitude >= 1 { break }
                prefix = p
                v *= 1000
            }
        }
        return g4(v) + prefix
    }

    static func humanizeDuration(_ value: Double) -> String {
        var v = value
        if v.isNaN || v.isInfinite { return g4(v) }
        if v == 0 { return "0s" }
        if v.magnitude >= 1 {
            let sign = v < 0 ? "-" : ""
            v = v.magnitude
            let secs = int64(v)
            let days = secs / 86_400, hours = secs / 3600 % 24, minutes = secs / 60 % 60
            let seconds = v - Double(secs - secs % 60)
            if days != 0 { return "\(sign)\(days)d \(hours)h \(minutes)m \(g4(seconds))s" }
            if hours != 0 { return "\(sign)\(hours)h \(minutes)m \(g4(seconds))s" }
            if minutes != 0 { return "\(sign)\(minutes)m \(g4(seconds))s" }
            return "\(sign)\(g4(seconds))s"
        }
        var prefix = ""
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v.magnitude >= 1 { break }
            prefix = p
            v *= 1000
        }
        return g4(v) + prefix + "s"
    }

    /// Go's `fmt.Sprintf` for the verbs templates use: %s %v %d %f %g %e %q %x %%, with
    /// width and precision.
    static func printf(_ format: String, _ args: [Value]) throws(TemplateError) -> String {
        var out = ""
        var argIndex = 0
        let f = Array(format)
        var i = 0
        while i < f.count {
            guard f[i] == "%" else { out.append(f[i]); i += 1; continue }
            i += 1
            guard i < f.count else { out += "%!(NOVERB)"; break }
            if f[i] == "%" { out += "%"; i += 1; continue }
            var spec = "%"
            while i < f.count, "+-# 0123456789.".contains(f[i]) { spec.append(f[i]); i += 1 }
            guard i < f.count else { break }
            let verb = f[i]
            i += 1
            // Width and precision are sizes to build: bounded before C's formatter sees them.
            for part in spec.dropFirst().split(separator: ".") {
                try AlertTemplate.checkSize(Int(part.filter { $0.isNumber }) ?? (part.contains { $0.isNumber } ? .max : 0))
            }
            try AlertTemplate.checkSize(out.utf8.count)
            guard argIndex < args.count else { out += "%!\(verb)(MISSING)"; continue }
            let a = args[argIndex]
            argIndex += 1
            switch verb {
            case "s", "v":
                let text = string(a)
                let width = Int(spec.dropFirst().prefix { $0 != "." }.filter { $0.isNumber }) ?? 0
                try AlertTemplate.checkSize(width)
                let pad = String(repeating: " ", count: max(0, width - text.count))
                out += spec.contains("-") ? text + pad : pad + text
            case "q": out += goQuoted(string(a))
            case "d": out += String(format: spec + "lld", int64(try number(a)))
            case "x": out += String(format: spec + "llx", int64(try number(a)))
            case "f", "F", "g", "e", "E", "G": out += String(format: spec + String(verb), try number(a))
            default: out += "%!\(verb)(\(string(a)))"
            }
        }
        return out
    }
}
