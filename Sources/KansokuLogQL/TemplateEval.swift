import KansokuCore
import Foundation

enum ActionToken: Equatable {
    case ident(String), field([String]), dot, string(String), number(String), pipe, lparen, rparen, comment
}

/// Words of one `{{ … }}` action.
struct ActionLexer {
    let b: [UInt8]
    var i = 0
    let line: Int

    init(b: [UInt8], line: Int) { self.b = b; self.line = line }

    mutating func tokens() throws(TemplateParseError) -> [ActionToken] {
        var out: [ActionToken] = []
        while i < b.count {
            let c = b[i]
            if c == 32 || c == 9 || c == 10 || c == 13 { i += 1; continue }
            if c == UInt8(ascii: "/"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "*") { return [.comment] }
            if c == UInt8(ascii: "|") { out.append(.pipe); i += 1; continue }
            if c == UInt8(ascii: "(") { out.append(.lparen); i += 1; continue }
            if c == UInt8(ascii: ")") { out.append(.rparen); i += 1; continue }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "`") || c == UInt8(ascii: "'") {
                var j = i + 1
                while j < b.count, b[j] != c { if b[j] == UInt8(ascii: "\\") && c != UInt8(ascii: "`") { j += 1 }; j += 1 }
                guard j < b.count else { throw TemplateParseError(message: "unterminated quoted string", line: line) }
                let raw = Array(b[i...j])
                i = j + 1
                if c == UInt8(ascii: "'") {
                    if case .success(let s) = GoString.unquote(raw), let sc = s.unicodeScalars.first {
                        out.append(.number(String(sc.value))); continue
                    }
                    throw TemplateParseError(message: "malformed character constant", line: line)
                }
                switch GoString.unquote(raw) {
                case .success(let s): out.append(.string(s))
                case .failure: throw TemplateParseError(message: "malformed quoted string", line: line)
                }
                continue
            }
            if c == UInt8(ascii: ".") || c == UInt8(ascii: "$") {
                var j = i + 1
                var parts: [String] = []
                if c == UInt8(ascii: "$") && (j >= b.count || b[j] != UInt8(ascii: ".")) { out.append(.dot); i = j; continue }
                if c == UInt8(ascii: "$") { j += 1 }
                var s = j
                while j <= b.count {
                    if j == b.count || !(Lexer.isIdentChar(b[j])) {
                        if j > s { parts.append(String(decoding: b[s..<j], as: UTF8.self)) }
                        if j < b.count, b[j] == UInt8(ascii: ".") { j += 1; s = j; continue }
                        break
                    }
                    j += 1
                }
                i = j
                out.append(parts.isEmpty ? .dot : .field(parts))
                continue
            }
            if Lexer.isDigit(c) || ((c == UInt8(ascii: "-") || c == UInt8(ascii: "+")) && i + 1 < b.count && Lexer.isDigit(b[i + 1])) {
                var j = i + 1
                while j < b.count, Lexer.isIdentChar(b[j]) || b[j] == UInt8(ascii: ".") { j += 1 }
                out.append(.number(String(decoding: b[i..<j], as: UTF8.self)))
                i = j
                continue
            }
            if Lexer.isIdentStart(c) {
                var j = i
                while j < b.count, Lexer.isIdentChar(b[j]) { j += 1 }
                out.append(.ident(String(decoding: b[i..<j], as: UTF8.self)))
                i = j
                continue
            }
            throw TemplateParseError(message: "unexpected \"\(String(UnicodeScalar(c)))\" in command", line: line)
        }
        return out
    }
}

struct PipelineParser {
    let toks: [ActionToken]
    var i = 0
    let line: Int
    var depth = 0

    init(toks: [ActionToken], line: Int) { self.toks = toks; self.line = line }

    mutating func parse() throws(TemplateParseError) -> LineTemplate.Pipeline {
        let p = try pipeline()
        if i < toks.count { throw TemplateParseError(message: "unexpected \(toks[i]) in operand", line: line) }
        return p
    }

    mutating func pipeline() throws(TemplateParseError) -> LineTemplate.Pipeline {
        var cmds: [[LineTemplate.Operand]] = []
        var cur: [LineTemplate.Operand] = []
        while i < toks.count {
            let t = toks[i]
            switch t {
            case .pipe:
                if cur.isEmpty { throw TemplateParseError(message: "missing command", line: line) }
                cmds.append(cur); cur = []; i += 1
            case .rparen:
                if cur.isEmpty && cmds.isEmpty { throw TemplateParseError(message: "missing value for command", line: line) }
                if !cur.isEmpty { cmds.append(cur) }
                return LineTemplate.Pipeline(commands: cmds)
            case .lparen:
                i += 1
                depth += 1
                guard depth <= LineTemplate.maxDepth else {
                    throw TemplateParseError(message: "parentheses nested deeper than \(LineTemplate.maxDepth) levels", line: line)
                }
                let inner = try pipeline()
                depth -= 1
                guard i < toks.count, toks[i] == .rparen else { throw TemplateParseError(message: "unclosed left paren", line: line) }
                i += 1
                cur.append(.pipeline(inner))
            case .field(let f): cur.append(.field(f)); i += 1
            case .dot: cur.append(.dot); i += 1
            case .string(let s): cur.append(.string(s)); i += 1
            case .number(let n):
                if let v = Int64(n) { cur.append(.int(v)) } else if let d = Double(n) { cur.append(.number(d, isInt: false)) } else {
                    throw TemplateParseError(message: "bad number syntax: \"\(n)\"", line: line)
                }
                i += 1
            case .ident(let w):
                if w == "true" || w == "false" { cur.append(.bool(w == "true")) } else if w == "nil" { cur.append(.nilValue) } else {
                    guard TemplateFunctions.names.contains(w) else {
                        throw TemplateParseError(message: "function \"\(w)\" not defined", line: line)
                    }
                    cur.append(.function(w))
                }
                i += 1
            case .comment: i += 1
            }
        }
        if cur.isEmpty && cmds.isEmpty { throw TemplateParseError(message: "missing value for command", line: line) }
        if !cur.isEmpty { cmds.append(cur) }
        return LineTemplate.Pipeline(commands: cmds)
    }
}

struct TemplateContext {
    let labels: [String: String]
    let line: String
    let timestamp: Int64
    /// The most bytes a rendering, or any one value built on the way, may hold.
    var outputLimit = LogQLLimits.default.maxTemplateOutputBytes
    /// Regexes compiled with the template, by pattern.
    var regexes: [String: RE2Regex] = [:]

    /// Refuses a value of `bytes` before it is built.
    func check(_ bytes: Int) throws(TemplateExecError) {
        guard bytes <= outputLimit else {
            throw TemplateExecError(message: "template output exceeds the limit of \(outputLimit) bytes (max_template_output_bytes)")
        }
    }

    /// As `check`, for a product of two counts that may itself overflow.
    func check(_ count: Int, times size: Int) throws(TemplateExecError) {
        let (n, overflow) = count.multipliedReportingOverflow(by: max(size, 1))
        guard !overflow else { try check(Int.max); return }
        try check(n)
    }

    func eval(_ p: LineTemplate.Pipeline) throws(TemplateExecError) -> TValue {
        var prev: TValue?
        for cmd in p.commands {
            guard let first = cmd.first else { continue }
            if case .function(let name) = first {
                var args: [TValue] = []
                for op in cmd.dropFirst() { args.append(try operand(op)) }
                if let prev { args.append(prev) }
                prev = try TemplateFunctions.call(name, args, self)
            } else {
                if cmd.count > 1 || prev != nil {
                    throw TemplateExecError(message: "can't give argument to non-function")
                }
                prev = try operand(first)
            }
        }
        return prev ?? .null
    }

    func operand(_ o: LineTemplate.Operand) throws(TemplateExecError) -> TValue {
        switch o {
        case .field(let path):
            guard path.count == 1 else { return .string("") }
            return .string(labels[path[0]] ?? "")
        case .dot: return .map(labels)
        case .string(let s): return .string(s)
        case .number(let d, let isInt): return isInt ? .int(TValue.int64(d)) : .float(d)
        case .int(let v): return .int(v)
        case .bool(let b): return .bool(b)
        case .nilValue: return .null
        case .function(let name): return try TemplateFunctions.call(name, [], self)
        case .pipeline(let p): return try eval(p)
        }
    }
}
