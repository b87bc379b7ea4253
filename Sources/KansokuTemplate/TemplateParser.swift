/// Parses template text: text and actions, `if` (with `else if`), `with` and `range` blocks
/// with their `else` and `end`, pipelines.
struct TemplateParser {
    let src: [UInt8]
    let language: TemplateLanguage
    var i = 0
    var line = 1
    /// Open blocks (an `else if` chain nests too: each link is rendered recursively).
    var depth = 0
    /// Variables in scope, innermost last; a block drops the ones it declared at its end.
    var scope: [String] = []

    enum Terminator { case eof, end, elseBranch, elseIf(TemplatePipeline) }

    init(_ text: String, language: TemplateLanguage) {
        src = Array(text.utf8)
        self.language = language
    }

    func fail(_ message: String) -> TemplateError { .parse(line: line, message: message) }

    enum Block { case ifBlock, withBlock, rangeBlock(key: String?, value: String?) }

    /// An `if`, `with` or `range` block up to its `{{end}}`, `cond` already parsed.
    mutating func parseBlock(_ kind: Block, _ cond: TemplatePipeline) throws(TemplateError) -> TemplateNode {
        depth += 1
        let mark = scope.count
        defer { depth -= 1; scope.removeSubrange(mark...) }
        let keyword: String
        switch kind {
        case .ifBlock: keyword = "if"
        case .withBlock: keyword = "with"
        case .rangeBlock(let key, let value):
            keyword = "range"
            scope += [key, value].compactMap { $0 }
        }
        guard depth <= Template.maxDepth else { throw fail("\(keyword) blocks nested deeper than \(Template.maxDepth) levels") }
        if case .declare(let name) = cond.binding { scope.append(name) }
        let (yes, term) = try parseList(untilEnd: true)
        var no: [TemplateNode] = []
        switch term {
        case .end, .eof: break
        case .elseBranch:
            let (n, t2) = try parseList(untilEnd: true)
            guard case .end = t2 else { throw fail("expected end; found else") }
            no = n
        case .elseIf(let c2):
            guard case .ifBlock = kind else { throw fail("else if in \(keyword)") }
            no = [try parseBlock(.ifBlock, c2)]
        }
        switch kind {
        case .ifBlock: return .ifBlock(cond, yes: yes, no: no)
        case .withBlock: return .withBlock(cond, yes: yes, no: no)
        case .rangeBlock(let key, let value): return .rangeBlock(cond, key: key, value: value, body: yes, no: no)
        }
    }

    /// `range $k, $v := pipeline`, `range $v := pipeline` or `range pipeline`.
    mutating func parseRange(_ words: ArraySlice<ActionToken>) throws(TemplateError) -> TemplateNode {
        func name(_ k: Int) -> String? {
            guard k < words.count, case .variable(let n, let path) = words[words.startIndex + k], !n.isEmpty, path.isEmpty else { return nil }
            return n
        }
        func token(_ k: Int) -> ActionToken? { k < words.count ? words[words.startIndex + k] : nil }
        if let k = name(0), token(1) == .comma, let v = name(2), token(3) == .declare {
            return try parseBlock(.rangeBlock(key: k, value: v), try pipeline(words.dropFirst(4)))
        }
        if let v = name(0), token(1) == .declare {
            return try parseBlock(.rangeBlock(key: nil, value: v), try pipeline(words.dropFirst(2)))
        }
        return try parseBlock(.rangeBlock(key: nil, value: nil), try pipeline(words))
    }

    mutating func parseList(untilEnd: Bool) throws(TemplateError) -> ([TemplateNode], Terminator) {
        var out: [TemplateNode] = []
        var text: [UInt8] = []
        let mark = scope.count
        defer { scope.removeSubrange(mark...) }
        while i < src.count {
            guard src[i] == UInt8(ascii: "{"), i + 1 < src.count, src[i + 1] == UInt8(ascii: "{") else {
                if src[i] == 10 { line += 1 }
                text.append(src[i])
                i += 1
                continue
            }
            var j = i + 2
            if j + 1 < src.count, src[j] == UInt8(ascii: "-"), ActionLexer.isSpace(src[j + 1]) {
                while let l = text.last, ActionLexer.isSpace(l) { text.removeLast() }
                j += 1
            }
            if !text.isEmpty { out.append(.text(String(decoding: text, as: UTF8.self))); text = [] }
            guard let close = actionEnd(from: j) else { throw fail("unclosed action") }
            var bodyEnd = close
            var trimRight = false
            if bodyEnd - 2 >= j, src[bodyEnd - 1] == UInt8(ascii: "-"), ActionLexer.isSpace(src[bodyEnd - 2]) {
                trimRight = true
                bodyEnd -= 1
            }
            var lexer = ActionLexer(src[j..<bodyEnd], line: line)
            let words = try lexer.tokens()
            line += src[j..<close].lazy.filter { $0 == 10 }.count
            i = close + 2
            if trimRight { while i < src.count, ActionLexer.isSpace(src[i]) { if src[i] == 10 { line += 1 }; i += 1 } }
            if let node = try action(words, untilEnd: untilEnd, into: &out) { return (out, node) }
        }
        if untilEnd { throw fail("unexpected EOF") }
        if !text.isEmpty { out.append(.text(String(decoding: text, as: UTF8.self))) }
        return (out, .eof)
    }

    /// The `}}` closing the action whose body starts at `start`, skipping quoted text.
    private func actionEnd(from start: Int) -> Int? {
        var k = start
        var quote: UInt8 = 0
        while k < src.count {
            let c = src[k]
            if quote != 0 {
                if c == UInt8(ascii: "\\"), quote != UInt8(ascii: "`") { k += 2; continue }
                if c == quote { quote = 0 }
            } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "`") || c == UInt8(ascii: "'") {
                quote = c
            } else if c == UInt8(ascii: "}"), k + 1 < src.count, src[k + 1] == UInt8(ascii: "}") {
                return k
            }
            k += 1
        }
        return nil
    }

    /// Adds the node of one action to `out`, or returns the terminator it is.
    private mutating func action(_ words: [ActionToken], untilEnd: Bool, into out: inout [TemplateNode]) throws(TemplateError) -> Terminator? {
        guard let first = words.first else { throw fail("missing value for command") }
        if case .comment = first { return nil }
        if case .ident(let w) = first {
            switch w {
            case "end":
                guard untilEnd else { throw fail("unexpected {{end}}") }
                return .end
            case "else":
                guard untilEnd else { throw fail("unexpected {{else}}") }
                if words.count > 1, case .ident("if") = words[1] { return .elseIf(try pipeline(words.dropFirst(2))) }
                return .elseBranch
            case "if":
                out.append(try parseBlock(.ifBlock, try pipeline(words.dropFirst())))
                return nil
            case "with":
                out.append(try parseBlock(.withBlock, try pipeline(words.dropFirst())))
                return nil
            case "range":
                out.append(try parseRange(words.dropFirst()))
                return nil
            case "define", "template", "block", "break", "continue":
                throw fail("unsupported action \(w)")
            default: break
            }
        }
        let p = try pipeline(words[...])
        if case .declare(let name) = p.binding { scope.append(name) }
        out.append(.action(p))
        return nil
    }

    /// A whole pipeline, with its `$x :=` or `$x =` if it has one.
    private func pipeline(_ words: ArraySlice<ActionToken>) throws(TemplateError) -> TemplatePipeline {
        var toks = words
        var binding = TemplatePipeline.Binding.none
        if toks.count >= 2, case .variable(let name, let path) = toks[toks.startIndex], path.isEmpty, !name.isEmpty {
            switch toks[toks.startIndex + 1] {
            case .declare: binding = .declare(name); toks = toks.dropFirst(2)
            case .assign:
                guard isDefined(name) else { throw fail("undefined variable \"$\(name)\"") }
                binding = .assign(name); toks = toks.dropFirst(2)
            default: break
            }
        }
        var p = PipelineParser(toks: Array(toks), parser: self)
        var result = try p.parse()
        result.binding = binding
        return result
    }

    func isDefined(_ name: String) -> Bool { name.isEmpty || language.variables.contains(name) || scope.contains(name) }
}

/// The commands of one pipeline, with parenthesized pipelines as operands.
struct PipelineParser {
    let toks: [ActionToken]
    let parser: TemplateParser
    var i = 0
    var depth = 0

    init(toks: [ActionToken], parser: TemplateParser) { self.toks = toks; self.parser = parser }

    mutating func parse() throws(TemplateError) -> TemplatePipeline {
        let p = try pipeline()
        if i < toks.count { throw parser.fail("unexpected \(toks[i]) in operand") }
        return p
    }

    mutating func pipeline() throws(TemplateError) -> TemplatePipeline {
        var cmds: [[TemplateOperand]] = []
        var cur: [TemplateOperand] = []
        while i < toks.count {
            switch toks[i] {
            case .pipe:
                if cur.isEmpty { throw parser.fail("missing command") }
                cmds.append(cur); cur = []; i += 1
            case .rparen:
                if cur.isEmpty && cmds.isEmpty { throw parser.fail("missing value for command") }
                if !cur.isEmpty { cmds.append(cur) }
                return TemplatePipeline(commands: cmds)
            case .lparen:
                i += 1
                depth += 1
                guard depth <= Template.maxDepth else {
                    throw parser.fail("parentheses nested deeper than \(Template.maxDepth) levels")
                }
                let inner = try pipeline()
                depth -= 1
                guard i < toks.count, toks[i] == .rparen else { throw parser.fail("unclosed left paren") }
                i += 1
                cur.append(.pipeline(inner))
            default:
                cur.append(try operand(toks[i]))
                i += 1
            }
        }
        if cur.isEmpty && cmds.isEmpty { throw parser.fail("missing value for command") }
        if !cur.isEmpty { cmds.append(cur) }
        return TemplatePipeline(commands: cmds)
    }

    private func operand(_ t: ActionToken) throws(TemplateError) -> TemplateOperand {
        switch t {
        case .field(let f): return f.isEmpty ? .dot : .field(f)
        case .variable(let name, let path):
            guard parser.isDefined(name) else { throw parser.fail("undefined variable \"$\(name)\"") }
            return .variable(name, path)
        case .string(let s): return .string(s)
        case .number(let n): return try number(n)
        case .ident("true"): return .bool(true)
        case .ident("false"): return .bool(false)
        case .ident("nil"): return .null
        case .ident(let w):
            guard let f = parser.language.functions[w] else { throw parser.fail("function \"\(w)\" not defined") }
            return .function(w, f)
        case .pipe, .lparen, .rparen, .comma, .declare, .assign, .comment:
            throw parser.fail("unexpected \(t) in operand")
        }
    }

    private func number(_ n: String) throws(TemplateError) -> TemplateOperand {
        if let v = Int64(n) { return .int(v) }
        let negative = n.hasPrefix("-")
        let digits = n.drop { $0 == "-" || $0 == "+" }
        if digits.count > 2, digits.hasPrefix("0x") || digits.hasPrefix("0X"), let v = Int64(digits.dropFirst(2), radix: 16) {
            return .int(negative ? -v : v)
        }
        if !digits.contains(where: { $0 == "x" || $0 == "X" }), let d = Double(n) { return .float(d) }
        throw parser.fail("bad number syntax: \"\(n)\"")
    }
}
