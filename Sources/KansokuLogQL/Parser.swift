public import KansokuCore

/// Parses LogQL text into an AST, reporting errors as Loki does:
/// `parse error at line L, col C: syntax error: unexpected X, expecting Y`.
public enum LogQLParser {
    /// Parses and validates a query.
    public static func parse(_ text: String) throws(LogQLError) -> LogQLExpr {
        try parse(bytes: Array(text.utf8))
    }

    /// Parses raw query bytes (invalid UTF-8 is reported as Loki reports it).
    public static func parse(bytes: [UInt8]) throws(LogQLError) -> LogQLExpr {
        var p = try ParserState(bytes)
        let node = try p.parseBinary(minPrecedence: 0)
        if p.peek.kind != .eof { throw p.unexpected() }
        let expr: LogQLExpr
        switch node {
        case .log(let l): expr = .log(l)
        case .sample(let s): expr = .sample(s)
        }
        try Validation.checkSelectors(expr)
        return expr
    }

    /// Parses a metric query (instant queries, rules); log queries are rejected.
    public static func parseSample(_ text: String) throws(LogQLError) -> SampleExpr {
        switch try parse(text) {
        case .sample(let s): return s
        case .log: throw .execution("log queries are not supported as an instant query type")
        }
    }

    /// Parses a bare stream selector such as `{app="api"}` (series API).
    public static func parseMatchers(_ text: String) throws(LogQLError) -> [LabelMatcher] {
        var p = try ParserState(Array(text.utf8))
        let m = try p.parseSelectorMatchers()
        if p.peek.kind != .eof { throw p.unexpected() }
        return m
    }
}

/// A parsed operand: either side of a binary operator may syntactically be a log query.
enum ParsedNode {
    case log(LogSelectorExpr)
    case sample(SampleExpr)
}

struct ParserState {
    var tokens: [Token] = []
    var lexError: LogQLError?
    var i = 0
    /// How deep the expression being parsed nests: parentheses, aggregations, the right side
    /// of a binary operator and each link of a left-associative chain all count, so the depth
    /// of every tree the parser builds (and of every walk over it) stays below `maxDepth`.
    var depth = 0

    /// The deepest nesting accepted. Real queries nest a few levels; hundreds are allowed so
    /// generated queries pass, and a hostile one is refused long before the stack runs out.
    static let maxDepth = 256

    init(_ bytes: [UInt8]) throws(LogQLError) {
        var lx = Lexer(bytes: bytes)
        while true {
            do {
                let t = try lx.next()
                tokens.append(t)
                if t.kind == .eof { break }
            } catch {
                lexError = error
                tokens.append(Token(kind: .eof, text: "", line: 0, column: 0))
                break
            }
        }
    }

    var peek: Token { tokens[i] }
    func peekKind(_ k: Int = 1) -> TokenKind { i + k < tokens.count ? tokens[i + k].kind : .eof }

    /// Called before the parser inspects the current token: a lexing error surfaces here.
    mutating func current() throws(LogQLError) -> Token {
        if i == tokens.count - 1, let lexError { throw lexError }
        return tokens[i]
    }

    mutating func advance() -> Token {
        let t = tokens[i]
        if i < tokens.count - 1 { i += 1 }
        return t
    }

    func unexpected(expecting: [String] = []) -> LogQLError {
        if i == tokens.count - 1, let lexError { return lexError }
        let t = tokens[i]
        let what = t.kind == .identifier && !isName(t) ? goQuoted(t.text) : t.kind.displayName
        var msg = "syntax error: unexpected \(what)"
        if !expecting.isEmpty { msg += ", expecting " + expecting.joined(separator: " or ") }
        return .parse(message: msg, line: t.line, column: t.column)
    }

    /// Whether `t` is a label name. Loki's lexer hands characters it does not know (`!`) to
    /// the grammar as IDENTIFIER too; taken as names they print back as operators (`| logfmt
    /// !` prints as `| logfmt !="!"`, a line filter), so they are refused wherever a name goes.
    func isName(_ t: Token) -> Bool {
        t.kind == .identifier && t.text.utf8.first.map(Lexer.isIdentStart) == true
    }

    mutating func expectName() throws(LogQLError) -> Token {
        guard isName(try current()) else { throw unexpected(expecting: ["IDENTIFIER"]) }
        return advance()
    }

    mutating func expect(_ k: TokenKind, expecting: [String]? = nil) throws(LogQLError) -> Token {
        let t = try current()
        guard t.kind == k else { throw unexpected(expecting: expecting ?? [k.displayName]) }
        return advance()
    }

    mutating func accept(_ k: TokenKind) throws(LogQLError) -> Bool {
        if try current().kind == k { _ = advance(); return true }
        return false
    }

    /// Enters one more level of nesting at the current token; pair with `depth -= 1`.
    mutating func nest() throws(LogQLError) {
        depth += 1
        guard depth <= Self.maxDepth else {
            let t = tokens[i]
            throw .parse(message: "syntax error: expression nested deeper than \(Self.maxDepth) levels",
                         line: t.line, column: t.column)
        }
    }

    // MARK: - binary expressions

    static func binaryOp(_ k: TokenKind) -> BinaryOp? {
        switch k {
        case .or: return .or
        case .and: return .and
        case .unless: return .unless
        case .cmpEq: return .eq
        case .neq: return .neq
        case .gt: return .gt
        case .gte: return .gte
        case .lt: return .lt
        case .lte: return .lte
        case .add: return .add
        case .sub: return .sub
        case .mul: return .mul
        case .div: return .div
        case .mod: return .mod
        case .pow: return .pow
        default: return nil
        }
    }

    mutating func parseBinary(minPrecedence: Int) throws(LogQLError) -> ParsedNode {
        try nest()
        var links = 1
        defer { depth -= links }
        var lhs = try parseUnary()
        while true {
            let t = try current()
            guard let op = Self.binaryOp(t.kind), op.precedence >= minPrecedence else { return lhs }
            // Each operator deepens the left-leaning tree by one, though the loop does not recurse.
            try nest()
            links += 1
            _ = advance()
            var returnBool = false
            if try accept(.bool) {
                returnBool = true
            }
            let matching = try parseVectorMatching()
            let rhs = try parseBinary(minPrecedence: op == .pow ? op.precedence : op.precedence + 1)
            lhs = .sample(try makeBinary(op, lhs, rhs, returnBool: returnBool, matching: matching))
        }
    }

    mutating func parseVectorMatching() throws(LogQLError) -> VectorMatching? {
        let k = try current().kind
        guard k == .on || k == .ignoring else { return nil }
        _ = advance()
        var m = VectorMatching(on: k == .on, labels: try parseLabelList(), card: .oneToOne, include: [])
        let g = try current().kind
        if g == .groupLeft || g == .groupRight {
            _ = advance()
            m.card = g == .groupLeft ? .manyToOne : .oneToMany
            if try current().kind == .openParen { m.include = try parseLabelList() }
        }
        return m
    }

    func makeBinary(_ op: BinaryOp, _ l: ParsedNode, _ r: ParsedNode, returnBool: Bool, matching: VectorMatching?) throws(LogQLError) -> SampleExpr {
        func typeName(_ s: LogSelectorExpr) -> String { s.stages.isEmpty ? "*syntax.MatchersExpr" : "*syntax.PipelineExpr" }
        guard case .sample(let ls) = l else {
            if case .log(let s) = l { throw .validation("unexpected type for left leg of binary operation (\(op.rawValue)): \(typeName(s))") }
            fatalError("unreachable")
        }
        guard case .sample(let rs) = r else {
            if case .log(let s) = r { throw .validation("unexpected type for right leg of binary operation (\(op.rawValue)): \(typeName(s))") }
            fatalError("unreachable")
        }
        if op.isSet {
            if case .literal(let v) = ls { throw .validation("unexpected literal for left leg of logical/set binary operation (\(op.rawValue)): \(formatFixed(v, 6))") }
            if case .literal(let v) = rs { throw .validation("unexpected literal for right leg of logical/set binary operation (\(op.rawValue)): \(formatFixed(v, 6))") }
        }
        if case .literal(let a) = ls, case .literal(let b) = rs {
            return .literal(VectorMath.arith(op, a, b, returnBool: true) ?? 0)
        }
        return .binary(BinaryExpr(op: op, lhs: ls, rhs: rs, returnBool: returnBool, matching: matching))
    }

    // MARK: - operands

    mutating func parseUnary() throws(LogQLError) -> ParsedNode {
        let t = try current()
        switch t.kind {
        case .openParen:
            _ = advance()
            let inner = try parseBinary(minPrecedence: 0)
            _ = try expect(.closeParen)
            return inner
        case .openBrace:
            return .log(try parseLogSelector())
        case .number:
            _ = advance()
            return .sample(.literal(try parseNumber(t)))
        case .add, .sub:
            if peekKind() == .number {
                _ = advance()
                let n = advance()
                let v = try parseNumber(n)
                return .sample(.literal(t.kind == .sub ? -v : v))
            }
            _ = advance()
            throw unexpected(expecting: ["NUMBER"])
        case .vector:
            _ = advance()
            _ = try expect(.openParen)
            let n = try expect(.number, expecting: ["NUMBER"])
            _ = try expect(.closeParen)
            return .sample(.vector(try parseNumber(n)))
        case .labelReplace:
            return .sample(try parseLabelReplace())
        default:
            if let op = RangeOp(token: t.kind) { return .sample(try parseRangeAggregation(op)) }
            if let op = VectorOp(token: t.kind) { return .sample(try parseVectorAggregation(op)) }
            throw unexpected()
        }
    }

    func parseNumber(_ t: Token) throws(LogQLError) -> Double {
        guard let v = GoFloat.parse(t.text) else {
            throw .validation("unable to parse literal as a float: strconv.ParseFloat: parsing \(goQuoted(t.text)): invalid syntax")
        }
        return v
    }

    /// A metric expression inside an aggregation's parentheses; a bare log query there is a
    /// syntax error at the token after it.
    mutating func parseInnerSample() throws(LogQLError) -> SampleExpr {
        let node = try parseBinary(minPrecedence: 0)
        switch node {
        case .sample(let s): return s
        case .log: throw unexpected()
        }
    }

    mutating func parseLabelReplace() throws(LogQLError) -> SampleExpr {
        _ = advance()
        _ = try expect(.openParen)
        let inner = try parseInnerSample()
        var strings: [String] = []
        for _ in 0..<4 {
            _ = try expect(.comma, expecting: [","])
            strings.append(try expect(.string, expecting: ["STRING"]).text)
        }
        _ = try expect(.closeParen)
        let re: RE2Regex
        do {
            re = try RE2Regex("^(?:" + strings[3] + ")$", anchor: .both)
        } catch {
            throw .validation("invalid regex in label_replace: \(RegexMessages.goStyle(error, pattern: strings[3]))")
        }
        return .labelReplace(LabelReplaceExpr(inner: inner, destination: strings[0], replacement: strings[1],
                                              source: strings[2], regex: strings[3], compiled: re))
    }

    mutating func parseLabelList() throws(LogQLError) -> [String] {
        _ = try expect(.openParen)
        var out: [String] = []
        while true {
            let t = try current()
            if t.kind == .closeParen { _ = advance(); return out }
            if !out.isEmpty {
                _ = try expect(.comma, expecting: [",", ")"])
            }
            let n = try current()
            guard n.kind == .identifier else {
                throw unexpected(expecting: out.isEmpty ? ["IDENTIFIER", ")"] : ["IDENTIFIER"])
            }
            out.append(advance().text)
        }
    }

    mutating func parseGrouping() throws(LogQLError) -> Grouping? {
        let k = try current().kind
        guard k == .by || k == .without else { return nil }
        _ = advance()
        return Grouping(without: k == .without, labels: try parseLabelList())
    }

    mutating func parseRangeAggregation(_ op: RangeOp) throws(LogQLError) -> SampleExpr {
        _ = advance()
        _ = try expect(.openParen)
        var param: Double?
        var paramText = ""
        let t = try current()
        if t.kind == .number {
            _ = advance()
            param = try parseNumber(t)
            paramText = t.text
            _ = try expect(.comma)
        } else if t.kind != .openBrace && t.kind != .openParen {
            throw unexpected(expecting: ["NUMBER", "{", "("])
        }
        let range = try parseLogRange()
        _ = try expect(.closeParen)
        let grouping = try parseGrouping()
        let agg = RangeAggregationExpr(op: op, range: range, parameter: param, grouping: grouping)
        try Validation.check(agg, paramText: paramText)
        return .rangeAggregation(agg)
    }

    mutating func parseVectorAggregation(_ op: VectorOp) throws(LogQLError) -> SampleExpr {
        _ = advance()
        var grouping = try parseGrouping()
        _ = try expect(.openParen)
        var param: Token?
        if try current().kind == .number, peekKind() == .comma {
            param = advance()
            _ = advance()
        }
        let inner = try parseInnerSample()
        _ = try expect(.closeParen)
        if grouping == nil { grouping = try parseGrouping() }
        let p = try Validation.vectorParameter(op, param)
        let agg = VectorAggregationExpr(op: op, inner: inner, parameter: p, grouping: grouping)
        if grouping != nil, op == .sort || op == .sortDesc || op == .approxTopk {
            throw .validation("grouping not allowed for \(op.rawValue) aggregation")
        }
        return .vectorAggregation(agg)
    }
}

extension RangeOp {
    init?(token: TokenKind) {
        switch token {
        case .countOverTime: self = .countOverTime
        case .rate: self = .rate
        case .rateCounter: self = .rateCounter
        case .bytesOverTime: self = .bytesOverTime
        case .bytesRate: self = .bytesRate
        case .avgOverTime: self = .avgOverTime
        case .sumOverTime: self = .sumOverTime
        case .minOverTime: self = .minOverTime
        case .maxOverTime: self = .maxOverTime
        case .stddevOverTime: self = .stddevOverTime
        case .stdvarOverTime: self = .stdvarOverTime
        case .quantileOverTime: self = .quantileOverTime
        case .firstOverTime: self = .firstOverTime
        case .lastOverTime: self = .lastOverTime
        case .absentOverTime: self = .absentOverTime
        default: return nil
        }
    }
}

extension VectorOp {
    init?(token: TokenKind) {
        switch token {
        case .sum: self = .sum
        case .avg: self = .avg
        case .count: self = .count
        case .max: self = .max
        case .min: self = .min
        case .stddev: self = .stddev
        case .stdvar: self = .stdvar
        case .bottomk: self = .bottomk
        case .topk: self = .topk
        case .sort: self = .sort
        case .sortDesc: self = .sortDesc
        case .approxTopk: self = .approxTopk
        default: return nil
        }
    }
}
