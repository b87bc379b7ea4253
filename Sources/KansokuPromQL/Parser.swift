public import KansokuCore

/// Parses PromQL text into an expression tree, with Prometheus's type checks.
public enum PromQLParser {
    /// The deepest nesting (parentheses, unary signs, operands of one operator chain, function
    /// and aggregation arguments, duration expressions) a query may have. Prometheus answers
    /// expressions nested ten thousand deep; deeper ones get a positioned parse error.
    public static let maxQueryDepth = 20_000

    /// Parses `query`; errors read like Prometheus's (`1:15: parse error: unexpected "}"`).
    /// Deeply nested text is parsed on a large-stack thread, so any caller's stack is safe;
    /// evaluating or printing such a tree is for the engine, which does so on that thread too.
    public static func parse(_ query: String, maxDepth: Int = maxQueryDepth) throws(PromQLError) -> PromQLExpr {
        if nestingEstimate(query) < 64 { return try parseOnCurrentThread(query, maxDepth: maxDepth) }
        let result = QueryThread.runBlocking { () -> Result<Handoff<PromQLExpr>, PromQLError> in
            do throws(PromQLError) {
                return .success(Handoff(value: try parseOnCurrentThread(query, maxDepth: maxDepth)))
            } catch {
                return .failure(error)
            }
        }
        return try result.get().value
    }

    /// Parses on the calling thread: for the engine's query thread, whose stack is large.
    static func parseOnCurrentThread(_ query: String, maxDepth: Int) throws(PromQLError) -> PromQLExpr {
        var lexer = Lexer(query)
        let tokens = try lexer.tokenize()
        var p = Parser(tokens: tokens, query: query, maxDepth: maxDepth)
        let e = try p.parseExpr(minPrecedence: 0)
        if p.peek.kind != .eof { throw p.unexpected(p.peek) }
        return e
    }

    /// An upper bound of how deep `query` may nest: every opening bracket, sign and operator
    /// may add a level. Cheap, and small for every ordinary query.
    static func nestingEstimate(_ query: String) -> Int {
        var n = 0
        for b in query.utf8 {
            switch b {
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "*"),
                 UInt8(ascii: "/"), UInt8(ascii: "%"), UInt8(ascii: "^"), UInt8(ascii: "="), UInt8(ascii: "<"),
                 UInt8(ascii: ">"), UInt8(ascii: "!"), UInt8(ascii: ","), UInt8(ascii: " "), UInt8(ascii: "\t"),
                 UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                n += 1
            default: break
            }
        }
        return n
    }

    /// Parses a series selector such as `up{job="api"}` into its matchers (for /series, /federate).
    public static func parseSelector(_ text: String) throws(PromQLError) -> [LabelMatcher] {
        // A selector never nests; refusing depth early keeps the tree shallow on any stack.
        let e = try parse(text, maxDepth: 16)
        guard case .vectorSelector(let v) = e else {
            throw PromQLError.parse(position: SourcePosition(line: 1, column: 1), message: "expected vector selector, got \(e.type.rawValue)")
        }
        return v.matchers
    }
}

struct Parser {
    let tokens: [Token]
    let query: String
    var i = 0
    /// Current nesting depth of the tree being built, and its bound.
    var depth = 0
    let maxDepth: Int

    init(tokens: [Token], query: String, maxDepth: Int = PromQLParser.maxQueryDepth) {
        self.tokens = tokens
        self.query = query
        self.maxDepth = maxDepth
    }

    /// One level deeper; refuses trees deeper than `maxDepth` before they can exhaust the stack.
    mutating func descend() throws(PromQLError) {
        depth += 1
        if depth > maxDepth {
            throw error("expression nesting exceeds the maximum depth of \(maxDepth)", at: peek.start)
        }
    }

    var peek: Token { tokens[i] }
    func peek(_ n: Int) -> Token { tokens[min(i + n, tokens.count - 1)] }

    @discardableResult mutating func advance() -> Token {
        let t = tokens[i]
        if i < tokens.count - 1 { i += 1 }
        return t
    }

    func error(_ message: String, at offset: Int) -> PromQLError {
        .parse(position: SourcePosition(offset: offset, in: query), message: message)
    }

    func unexpected(_ t: Token, context: String = "") -> PromQLError {
        error("unexpected \(describe(t))\(context)", at: t.start)
    }

    func describe(_ t: Token) -> String {
        switch t.kind {
        case .eof: return "end of input"
        case .identifier, .metricIdentifier: return "identifier \(goQuoted(t.text))"
        case .number: return "number \(goQuoted(t.text))"
        case .duration: return "duration \(goQuoted(t.text))"
        case .string: return "string \(goQuoted(t.text))"
        case .leftParen: return "left parenthesis \"(\""
        case .rightParen: return "right parenthesis \")\""
        case .leftBrace: return "left brace \"{\""
        case .rightBrace: return "right brace \"}\""
        case .leftBracket: return "left bracket \"[\""
        case .rightBracket: return "right bracket \"]\""
        case .comma: return "\",\""
        case .colon: return "\":\""
        case .at: return "<@>"
        case .assign: return "\"=\""
        case .eqlRegex: return "\"=~\""
        case .neqRegex: return "\"!~\""
        case .binary(let op): return "<op:\(op.rawValue)>"
        case .keyword(let k): return "<\(k.rawValue)>"
        case .aggregator(let a): return "<aggr:\(a.rawValue)>"
        }
    }

    mutating func expect(_ kind: TokenKind, _ context: String) throws(PromQLError) -> Token {
        guard peek.kind == kind else { throw unexpected(peek, context: context) }
        return advance()
    }

    // MARK: Expressions

    mutating func parseExpr(minPrecedence: Int) throws(PromQLError) -> PromQLExpr {
        let outer = depth
        defer { depth = outer }
        try descend()
        var lhs = try parseUnary()
        while case .binary(let op) = peek.kind, op.precedence >= minPrecedence {
            // Every operator of a chain (`1 + 1 + …`) puts the tree one level deeper.
            try descend()
            let opToken = advance()
            var returnBool = false
            var matching = VectorMatching()
            if peek.kind == .keyword(.bool) {
                advance()
                returnBool = true
            }
            if peek.kind == .keyword(.on) || peek.kind == .keyword(.ignoring) {
                matching.on = advance().kind == .keyword(.on)
                matching.explicit = true
                matching.matchingLabels = try parseLabelList()
                if peek.kind == .keyword(.groupLeft) || peek.kind == .keyword(.groupRight) {
                    matching.cardinality = advance().kind == .keyword(.groupLeft) ? .manyToOne : .oneToMany
                    if peek.kind == .leftParen { matching.include = try parseLabelList() }
                }
            } else if peek.kind == .keyword(.groupLeft) || peek.kind == .keyword(.groupRight) {
                throw unexpected(peek)
            }
            // fill(v), fill_left(v), fill_right(v): identifiers followed by "(" in modifier position.
            while peek.kind == .identifier, ["fill", "fill_left", "fill_right"].contains(peek.text), peek(1).kind == .leftParen {
                let which = advance().text
                advance()
                var negative = false
                if peek.kind == .binary(.sub) { advance(); negative = true } else if peek.kind == .binary(.add) { advance() }
                let nt = advance()
                guard nt.kind == .number else { throw unexpected(nt, context: " in fill modifier, expected number") }
                var v = try parseNumber(nt)
                if negative { v = -v }
                _ = try expect(.rightParen, " in fill modifier, expected \")\"")
                if which != "fill_right" { matching.fillLeft = v }
                if which != "fill_left" { matching.fillRight = v }
            }
            let rhs = try parseExpr(minPrecedence: op == .pow ? op.precedence : op.precedence + 1)
            lhs = try makeBinary(op, lhs, rhs, returnBool: returnBool, matching: matching, at: opToken.start)
        }
        return lhs
    }

    mutating func parseUnary() throws(PromQLError) -> PromQLExpr {
        guard case .binary(let first) = peek.kind, first == .sub || first == .add else {
            return try parsePostfix(try parsePrimary())
        }
        // A run of signs is read in a loop and its operand checked once: thousands of signs
        // cost neither stack nor a type check per sign.
        var signs: [Token] = []
        while case .binary(let op) = peek.kind, op == .sub || op == .add {
            try descend()
            signs.append(advance())
        }
        var e = try parseExpr(minPrecedence: BinaryOp.pow.precedence)
        let type = e.type
        guard type == .scalar || type == .vector else {
            throw error("unary expression only allowed on expressions of type scalar or instant vector, got \(goQuoted(type.rawValue))", at: signs[signs.count - 1].start)
        }
        for t in signs.reversed() where t.kind == .binary(.sub) {
            if case .number(let v) = e { e = .number(-v) } else { e = .unaryMinus(e) }
        }
        return e
    }

    mutating func parsePrimary() throws(PromQLError) -> PromQLExpr {
        let t = peek
        switch t.kind {
        case .number:
            advance()
            return .number(try parseNumber(t))
        case .duration:
            advance()
            return .number(Double(try parseDuration(t)) / 1000)
        case .string:
            advance()
            return .string(t.text)
        case .leftParen:
            advance()
            let e = try parseExpr(minPrecedence: 0)
            _ = try expect(.rightParen, " in parenthesized expression, expected \")\"")
            return .paren(e)
        case .leftBrace:
            return .vectorSelector(try parseSelector(name: nil, nameToken: t))
        case .identifier, .metricIdentifier:
            advance()
            if t.kind == .identifier, peek.kind == .leftParen {
                return try parseCall(t)
            }
            return .vectorSelector(try parseSelector(name: t.text, nameToken: t))
        case .aggregator(let op):
            advance()
            return try parseAggregate(op, t)
        default:
            throw unexpected(t)
        }
    }

    mutating func parseNumber(_ t: Token) throws(PromQLError) -> Double {
        let s = t.text.lowercased()
        if s == "inf" { return .infinity }
        if s == "nan" { return .nan }
        if s.hasPrefix("0x"), let v = UInt64(s.dropFirst(2), radix: 16) { return Double(v) }
        if let v = Double(s.hasSuffix(".") ? s + "0" : s) { return v }
        throw error("bad number or duration syntax: \(goQuoted(t.text))", at: t.start)
    }

    func parseDuration(_ t: Token) throws(PromQLError) -> Int64 {
        guard let d = PromDuration(t.text) else { throw error("not a valid duration string: \(goQuoted(t.text))", at: t.start) }
        return d.milliseconds
    }

    /// A duration in a range, offset or step: a duration literal or a number of seconds.
    mutating func parseDurationOrSeconds(_ context: String) throws(PromQLError) -> Int64 {
        let t = advance()
        switch t.kind {
        case .duration: return try parseDuration(t)
        case .number:
            let v = try parseNumber(t)
            guard v.isFinite, abs(v) < 9.2e15 else { throw error("duration out of range", at: t.start) }
            return Int64((v * 1000).rounded())
        default: throw unexpected(t, context: context)
        }
    }

    // MARK: Postfix: ranges, subqueries, offset, @

    mutating func parsePostfix(_ base: PromQLExpr) throws(PromQLError) -> PromQLExpr {
        var e = base
        while true {
            switch peek.kind {
            case .leftBracket:
                let open = advance()
                let rangeExpr = try parseDurationExpr()
                let range = rangeExpr.isConstant ? rangeExpr.milliseconds(step: 0, range: 0) : 1
                if peek.kind == .rightBracket {
                    advance()
                    guard case .vectorSelector(let v) = e else {
                        throw error("ranges only allowed for vector selectors", at: open.start)
                    }
                    if v.hasOffset || v.at != nil { throw error("no offset modifiers allowed before range", at: open.start) }
                    e = .matrixSelector(MatrixSelector(selector: v, range: range, rangeExpr: rangeExpr.isConstant ? nil : rangeExpr))
                } else if peek.kind == .colon {
                    advance()
                    var step: Int64?
                    var stepExpr: DurationExpr?
                    if peek.kind != .rightBracket {
                        let se = try parseDurationExpr()
                        if se.isConstant { step = se.milliseconds(step: 0, range: 0) } else { stepExpr = se; step = 1 }
                    }
                    _ = try expect(.rightBracket, " in subquery, expected \"]\"")
                    guard e.type == .vector else {
                        throw error("subquery is only allowed on instant vector, got \(e.type.rawValue) instead", at: open.start)
                    }
                    if let step, step <= 0 { throw error("zero or negative step in subquery", at: open.start) }
                    if range <= 0 { throw error("zero or negative range in subquery", at: open.start) }
                    var sq = SubqueryExpr(expr: e, range: range, step: step)
                    sq.rangeExpr = rangeExpr.isConstant ? nil : rangeExpr
                    sq.stepExpr = stepExpr
                    e = .subquery(sq)
                } else {
                    throw unexpected(peek, context: " in range, expected \"]\" or \":\"")
                }
                if case .matrixSelector(let m) = e, m.range <= 0 {
                    throw error("range must be positive", at: open.start)
                }
            case .keyword(.offset):
                let t = advance()
                let d = try parseOffsetDuration()
                e = try applyOffset(e, d.isConstant ? d.milliseconds(step: 0, range: 0) : 0, expr: d.isConstant ? nil : d, at: t.start)
            case .identifier where peek.text == "anchored" || peek.text == "smoothed":
                let t = advance()
                let mod = RangeModifier(rawValue: t.text)!
                switch e {
                case .vectorSelector(var v):
                    v.modifier = mod
                    e = .vectorSelector(v)
                case .matrixSelector(var m):
                    m.selector.modifier = mod
                    e = .matrixSelector(m)
                default:
                    throw error("\(t.text) modifier must be preceded by a vector selector", at: t.start)
                }
            case .at:
                let t = advance()
                let at: AtModifier
                if peek.kind == .keyword(.start) || peek.kind == .keyword(.end) {
                    let k = advance()
                    _ = try expect(.leftParen, "")
                    _ = try expect(.rightParen, "")
                    at = k.kind == .keyword(.start) ? .start : .end
                } else {
                    var negative = false
                    if peek.kind == .binary(.sub) { advance(); negative = true }
                    else if peek.kind == .binary(.add) { advance() }
                    let nt = advance()
                    var v: Double
                    switch nt.kind {
                    case .number: v = try parseNumber(nt)
                    case .duration: v = Double(try parseDuration(nt)) / 1000
                    default: throw unexpected(nt, context: " in @, expected timestamp")
                    }
                    if negative { v = -v }
                    guard v.isFinite, abs(v) <= 9.2e15 else { throw error("timestamp out of bounds for @ modifier: \(GoFloat.shortest(v))", at: nt.start) }
                    at = .timestamp(Int64((v * 1000).rounded()))
                }
                e = try applyAt(e, at, at: t.start)
            default:
                return e
            }
        }
    }

    func applyOffset(_ e: PromQLExpr, _ off: Int64, expr: DurationExpr?, at pos: Int) throws(PromQLError) -> PromQLExpr {
        switch e {
        case .vectorSelector(var v):
            if v.hasOffset { throw error("offset may not be set multiple times", at: pos) }
            v.offset = off; v.hasOffset = true; v.offsetExpr = expr
            return .vectorSelector(v)
        case .matrixSelector(var m):
            if m.selector.hasOffset { throw error("offset may not be set multiple times", at: pos) }
            m.selector.offset = off; m.selector.hasOffset = true; m.selector.offsetExpr = expr
            return .matrixSelector(m)
        case .subquery(var s):
            if s.hasOffset { throw error("offset may not be set multiple times", at: pos) }
            s.offset = off; s.hasOffset = true; s.offsetExpr = expr
            return .subquery(s)
        default:
            throw error("offset modifier must be preceded by an instant vector selector or range vector selector or a subquery", at: pos)
        }
    }

    func applyAt(_ e: PromQLExpr, _ at: AtModifier, at pos: Int) throws(PromQLError) -> PromQLExpr {
        switch e {
        case .vectorSelector(var v):
            if v.at != nil { throw error("@ <timestamp> may not be set multiple times", at: pos) }
            v.at = at
            return .vectorSelector(v)
        case .matrixSelector(var m):
            if m.selector.at != nil { throw error("@ <timestamp> may not be set multiple times", at: pos) }
            m.selector.at = at
            return .matrixSelector(m)
        case .subquery(var s):
            if s.at != nil { throw error("@ <timestamp> may not be set multiple times", at: pos) }
            s.at = at
            return .subquery(s)
        default:
            throw error("@ modifier must be preceded by an instant vector selector or range vector selector or a subquery", at: pos)
        }
    }
}
