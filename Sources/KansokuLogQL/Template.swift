import KansokuCore
import Foundation

/// The Go `text/template` subset `line_format` and `label_format` use: `{{.label}}`,
/// pipelines with `|`, function calls, string/number literals, `if`/`else`/`end`, trim
/// markers, comments, and Loki's helper functions.
struct LineTemplate: Sendable {
    indirect enum Node: Sendable {
        case text(String)
        case action(Pipeline)
        case ifBlock(Pipeline, [Node], [Node])
    }

    struct Pipeline: Sendable { var commands: [[Operand]] }

    indirect enum Operand: Sendable {
        case field([String])
        case dot
        case string(String)
        case number(Double, isInt: Bool)
        /// An integer literal, kept exact (a Double holds only 53 bits).
        case int(Int64)
        case bool(Bool)
        case nilValue
        case function(String)
        case pipeline(Pipeline)
    }

    let nodes: [Node]
    let source: String
    /// The most bytes one rendering may build (the query's `max_template_output_bytes`).
    let outputLimit: Int
    /// The literal patterns of `regexReplaceAll` calls, compiled once with the template rather
    /// than for every line it renders.
    let regexes: [String: RE2Regex]

    /// The deepest nesting of `{{if}}` blocks and of parentheses in one action.
    static let maxDepth = 256

    init(_ text: String, outputLimit: Int = LogQLLimits.current.maxTemplateOutputBytes) throws(LogQLError) {
        source = text
        self.outputLimit = outputLimit
        var p = TemplateParser(src: Array(text.utf8))
        do {
            nodes = try p.parseList(untilEnd: false).0
        } catch {
            throw .execution("template: line:\(error.line): \(error.message)")
        }
        var regexes: [String: RE2Regex] = [:]
        Self.literalPatterns(nodes) { pattern in
            if regexes[pattern] == nil, let re = try? RE2Regex(pattern) { regexes[pattern] = re }
        }
        self.regexes = regexes
    }

    /// Visits the first argument of every `regexReplaceAll`/`regexReplaceAllLiteral` call that
    /// is a string literal. (A pattern that does not compile is left for rendering to report.)
    private static func literalPatterns(_ nodes: [Node], _ visit: (String) -> Void) {
        func pipeline(_ p: Pipeline) {
            for cmd in p.commands {
                if case .function(let name)? = cmd.first, name == "regexReplaceAll" || name == "regexReplaceAllLiteral",
                   cmd.count > 1, case .string(let pattern) = cmd[1] {
                    visit(pattern)
                }
                for case .pipeline(let inner) in cmd { pipeline(inner) }
            }
        }
        for n in nodes {
            switch n {
            case .text: break
            case .action(let p): pipeline(p)
            case .ifBlock(let cond, let yes, let no):
                pipeline(cond)
                literalPatterns(yes, visit)
                literalPatterns(no, visit)
            }
        }
    }

    /// Renders with `labels`, the current line and timestamp; nil on an execution error.
    func render(labels: [String: String], line: String, timestamp: Int64) -> Result<String, TemplateExecError> {
        var out = ""
        let ctx = TemplateContext(labels: labels, line: line, timestamp: timestamp, outputLimit: outputLimit, regexes: regexes)
        do {
            try render(nodes, ctx, &out)
        } catch {
            return .failure(error)
        }
        return .success(out)
    }

    private func render(_ ns: [Node], _ ctx: TemplateContext, _ out: inout String) throws(TemplateExecError) {
        for n in ns {
            switch n {
            case .text(let s): out += s
            case .action(let p): out += try ctx.eval(p).rendered
            case .ifBlock(let cond, let yes, let no):
                try render(try ctx.eval(cond).truthy ? yes : no, ctx, &out)
            }
            try ctx.check(out.utf8.count)
        }
    }
}

struct TemplateExecError: Error { let message: String }

struct TemplateParseError: Error {
    let message: String
    let line: Int
}

/// Values in templates.
enum TValue {
    case string(String)
    case int(Int64)
    case float(Double)
    case bool(Bool)
    case null
    case map([String: String])

    var rendered: String {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .float(let f): return goFloat(f)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "<no value>"
        case .map(let m): return "map[" + m.keys.sorted().map { "\($0):\(m[$0]!)" }.joined(separator: " ") + "]"
        }
    }

    var truthy: Bool {
        switch self {
        case .string(let s): return !s.isEmpty
        case .int(let i): return i != 0
        case .float(let f): return f != 0
        case .bool(let b): return b
        case .null: return false
        case .map(let m): return !m.isEmpty
        }
    }

    var asString: String { rendered }

    var asDouble: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .float(let f): return f
        case .string(let s): return Double(s.trimmingCharacters(in: .whitespaces))
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// Go's float-to-int conversion without the trap: out-of-range and NaN give Int64.min,
    /// as Go does on amd64.
    static func int64(_ f: Double) -> Int64 {
        guard f.isFinite, f > -9.2e18, f < 9.2e18 else { return .min }
        return Int64(f)
    }

    var asInt: Int64? {
        switch self {
        case .int(let i): return i
        case .float(let f): return Self.int64(f)
        case .string(let s): return Int64(s.trimmingCharacters(in: .whitespaces)) ?? Double(s).map(Self.int64)
        default: return nil
        }
    }
}

struct TemplateParser {
    let src: [UInt8]
    var i = 0
    var line = 1
    /// Open `{{if}}` blocks (an `else if` chain nests too: each link is rendered recursively).
    var depth = 0

    enum Terminator { case eof, end, elseBranch, elseIf(LineTemplate.Pipeline) }

    mutating func parseIf(_ cond: LineTemplate.Pipeline) throws(TemplateParseError) -> LineTemplate.Node {
        depth += 1
        defer { depth -= 1 }
        guard depth <= LineTemplate.maxDepth else {
            throw TemplateParseError(message: "if blocks nested deeper than \(LineTemplate.maxDepth) levels", line: line)
        }
        let (yes, term) = try parseList(untilEnd: true)
        var no: [LineTemplate.Node] = []
        switch term {
        case .end, .eof: break
        case .elseBranch:
            let (n, t2) = try parseList(untilEnd: true)
            guard case .end = t2 else { throw TemplateParseError(message: "expected end; found else", line: line) }
            no = n
        case .elseIf(let c2):
            no = [try parseIf(c2)]
        }
        return .ifBlock(cond, yes, no)
    }

    mutating func parseList(untilEnd: Bool) throws(TemplateParseError) -> ([LineTemplate.Node], Terminator) {
        var out: [LineTemplate.Node] = []
        var text: [UInt8] = []
        while i < src.count {
            if src[i] == UInt8(ascii: "{"), i + 1 < src.count, src[i + 1] == UInt8(ascii: "{") {
                var j = i + 2
                if j < src.count, src[j] == UInt8(ascii: "-"), j + 1 < src.count, src[j + 1] == 32 {
                    while let l = text.last, l == 32 || l == 9 || l == 10 || l == 13 { text.removeLast() }
                    j += 1
                }
                if !text.isEmpty { out.append(.text(String(decoding: text, as: UTF8.self))); text = [] }
                // find the end of the action, honouring quotes
                var k = j
                var q: UInt8 = 0
                var found = -1
                while k < src.count {
                    let c = src[k]
                    if q != 0 {
                        if c == UInt8(ascii: "\\"), q == UInt8(ascii: "\"") { k += 2; continue }
                        if c == q { q = 0 }
                    } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "`") || c == UInt8(ascii: "'") {
                        q = c
                    } else if c == UInt8(ascii: "}"), k + 1 < src.count, src[k + 1] == UInt8(ascii: "}") {
                        found = k
                        break
                    }
                    k += 1
                }
                guard found >= 0 else { throw TemplateParseError(message: "unclosed action", line: line) }
                var bodyEnd = found
                var trimRight = false
                if bodyEnd - 2 >= j, src[bodyEnd - 1] == UInt8(ascii: "-"), src[bodyEnd - 2] == 32 {
                    trimRight = true
                    bodyEnd -= 1
                }
                let body = Array(src[j..<bodyEnd])
                i = found + 2
                if trimRight { while i < src.count, [32, 9, 10, 13].contains(src[i]) { i += 1 } }
                var lx = ActionLexer(b: body, line: line)
                let words = try lx.tokens()
                if words.isEmpty { throw TemplateParseError(message: "missing value for command", line: line) }
                if case .comment = words[0] { continue }
                if case .ident(let w) = words[0] {
                    switch w {
                    case "end":
                        guard untilEnd else { throw TemplateParseError(message: "unexpected {{end}}", line: line) }
                        return (out, .end)
                    case "else":
                        guard untilEnd else { throw TemplateParseError(message: "unexpected {{else}}", line: line) }
                        if words.count > 1, case .ident("if") = words[1] {
                            var pp = PipelineParser(toks: Array(words.dropFirst(2)), line: line)
                            return (out, .elseIf(try pp.parse()))
                        }
                        return (out, .elseBranch)
                    case "if":
                        var pp = PipelineParser(toks: Array(words.dropFirst()), line: line)
                        out.append(try parseIf(try pp.parse()))
                        continue
                    case "range", "with", "define", "template", "block":
                        throw TemplateParseError(message: "unsupported action \(w)", line: line)
                    default: break
                    }
                }
                var pp = PipelineParser(toks: words, line: line)
                out.append(.action(try pp.parse()))
                continue
            }
            if src[i] == 10 { line += 1 }
            text.append(src[i])
            i += 1
        }
        if untilEnd { throw TemplateParseError(message: "unexpected EOF", line: line) }
        if !text.isEmpty { out.append(.text(String(decoding: text, as: UTF8.self))) }
        return (out, .eof)
    }
}
