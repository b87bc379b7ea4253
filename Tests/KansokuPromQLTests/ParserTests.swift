import Testing
import KansokuCore
@testable import KansokuPromQL

@Suite struct ParserTests {
    func printed(_ q: String) throws -> String { try PromQLParser.parse(q).description }

    @Test func printsLikePrometheus() throws {
        #expect(try printed("sum by(job)(rate(http_requests_total{code=~\"5..\"}[5m]))")
            == "sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m]))")
        #expect(try printed("a+on(x)group_left(y)b") == "a + on (x) group_left (y) b")
        #expect(try printed("foo offset 5m @ 100") == "foo @ 100.000 offset 5m")
        #expect(try printed("rate(foo[1h:5m] @ end())") == "rate(foo[1h:5m] @ end())")
        #expect(try printed("topk(3, x) > bool 2") == "topk(3, x) > bool 2")
        #expect(try printed("1e6") == "1e+06")
        #expect(try printed("-(1)") == "-(1)")
        #expect(try printed("foo offset -1h30m") == "foo offset -1h30m")
        #expect(try printed("{__name__=\"up\"}") == "{__name__=\"up\"}")
        #expect(try printed("sum without (a, b) (x)") == "sum without (a, b) (x)")
    }

    @Test func precedenceAndAssociativity() throws {
        guard case .binary(let b) = try PromQLParser.parse("2 ^ 3 ^ 2") else { Issue.record("not binary"); return }
        #expect(b.lhs == .number(2))
        guard case .binary(let c) = try PromQLParser.parse("1 + 2 * 3") else { Issue.record("not binary"); return }
        #expect(c.op == .add)
        guard case .binary(let d) = try PromQLParser.parse("a or b and c unless d") else { Issue.record("not binary"); return }
        #expect(d.op == .or)
        // Unary minus binds looser than ^: -2^2 = -(2^2).
        guard case .unaryMinus = try PromQLParser.parse("-2 ^ 2") else { Issue.record("not unary"); return }
    }

    @Test func numbersAndDurations() throws {
        #expect(try PromQLParser.parse("0x1F") == .number(31))
        #expect(try PromQLParser.parse("5m") == .number(300))
        #expect(try PromQLParser.parse("1h30m") == .number(5400))
        if case .number(let v) = try PromQLParser.parse("NaN") { #expect(v.isNaN) } else { Issue.record("NaN") }
        #expect(try PromQLParser.parse("-Inf") == .number(-.infinity))
        #expect(try PromQLParser.parse("`raw\\n`") == .string("raw\\n"))
        #expect(try PromQLParser.parse("\"a\\tb\"") == .string("a\tb"))
    }

    func parseError(_ q: String) -> String {
        do {
            _ = try PromQLParser.parse(q)
            return "no error"
        } catch {
            return error.description
        }
    }

    @Test func errorsCarryPositions() {
        #expect(parseError("rate(foo)") == "1:1: parse error: expected type range vector in call to function \"rate\", got instant vector")
        #expect(parseError("sum(foo) by") == "1:12: parse error: unexpected end of input in grouping opts, expected \"(\"")
        #expect(parseError("foo{a=\"b\"") == "1:10: parse error: unexpected end of input inside braces")
        #expect(parseError("nosuchfn(x)") == "1:1: parse error: unknown function with name \"nosuchfn\"")
        #expect(parseError("{}") == "1:1: parse error: vector selector must contain at least one non-empty matcher")
        #expect(parseError("1 > 2") == "1:3: parse error: comparisons between scalars must use BOOL modifier")
        #expect(parseError("foo and 1") == "1:5: parse error: set operator \"and\" not allowed in binary scalar expression")
        #expect(parseError("x\n  + )") == "2:5: parse error: unexpected right parenthesis \")\"")
        #expect(parseError("(foo)[5m]") == "1:6: parse error: ranges only allowed for vector selectors")
    }

    /// String literals unquote as Go's `strconv.Unquote` does (through `GoString`); a bad
    /// escape is reported at its backslash, an unclosed string at its opening quote.
    @Test func stringLiteralsUnquoteAsGo() throws {
        #expect(try PromQLParser.parse(#""a\x41\u00e9\101\"""#) == .string("aAéA\""))
        #expect(try PromQLParser.parse(#"'it\'s'"#) == .string("it's"))
        #expect(try PromQLParser.parse("`a\\n\rb`") == .string("a\\nb"))
        #expect(parseError(#""it\'s""#) == "1:4: parse error: unknown escape sequence")
        #expect(parseError(#"'a\"'"#) == "1:3: parse error: unknown escape sequence")
        #expect(parseError(#"x + "\q""#) == "1:6: parse error: unknown escape sequence")
        #expect(parseError(#""\xZZ""#) == "1:2: parse error: invalid escape sequence")
        #expect(parseError(#""\12""#) == "1:2: parse error: invalid escape sequence")
        #expect(parseError(#""\400""#) == "1:2: parse error: invalid escape sequence")
        #expect(parseError(#""\uD800""#) == "1:2: parse error: invalid Unicode code point in escape sequence")
        #expect(parseError(#""abc"#) == "1:1: parse error: unterminated quoted string")
        #expect(parseError("\"ab\\") == "1:1: parse error: unterminated quoted string")
        #expect(parseError("\"ab\\\n\"") == "1:4: parse error: unknown escape sequence")
        #expect(parseError("\"ab\n\"") == "1:1: parse error: unterminated quoted string")
        #expect(parseError("`ab") == "1:1: parse error: unterminated raw string")
    }

    @Test func selectorsForAPI() throws {
        let m = try PromQLParser.parseSelector("up{job=~\"api|web\"}")
        #expect(m.count == 2)
        #expect(m.contains { $0.name == "__name__" && $0.value == "up" })
    }
}

@Suite struct FloatFormatTests {
    @Test func apiTimestamps() {
        #expect(PromQLFloatFormat.apiTimestamp(1_435_781_451_781) == "1435781451.781")
        #expect(PromQLFloatFormat.apiTimestamp(1_435_781_451_500) == "1435781451.500")
        #expect(PromQLFloatFormat.apiTimestamp(1_435_781_451_005) == "1435781451.005")
        #expect(PromQLFloatFormat.apiTimestamp(1_000) == "1")
        #expect(PromQLFloatFormat.apiTimestamp(-1_500) == "-1.500")
    }

}
