import Testing
import KansokuCore

/// The one JSON scanner, under both rule sets its callers need: strict (RFC 8259) for push
/// and OTLP bodies, the positions file and pipeline `json` stages; lenient for LogQL's `json`
/// and `unpack` stages, which read a log line as Loki's reader does.
@Suite struct JSONScannerTests {
    /// Skips one value; its text, or the error description.
    func skip(_ text: String, _ strictness: JSONStrictness = .strict, maxDepth: Int = .max) -> String {
        Array(text.utf8).withUnsafeBytes { b in
            var s = JSONScanner(b, strictness: strictness, maxDepth: maxDepth)
            do { return s.text(try s.skipValue()) } catch { return "\(error)" }
        }
    }

    /// Reads one string value; its unescaped bytes, or nil when refused.
    func read(_ text: String, _ strictness: JSONStrictness = .strict) -> [UInt8]? {
        Array(text.utf8).withUnsafeBytes { b in
            var s = JSONScanner(b, strictness: strictness)
            var out: [UInt8] = []
            do { try s.readString(into: &out); return out } catch { return nil }
        }
    }

    @Test func strictNumbersFollowTheGrammar() {
        #expect(skip("-12.5e+3,") == "-12.5e+3")
        #expect(skip("0") == "0")
        #expect(skip("1.") == "invalid JSON at byte 2: expected a digit after '.', found end of input")
        #expect(skip("1e") == "invalid JSON at byte 2: expected a digit in the exponent, found end of input")
        #expect(skip("-x") == "invalid JSON at byte 1: expected a digit, found 'x'")
        #expect(skip("+1") == "invalid JSON at byte 0: expected a value, found '+'")
        #expect(skip(".5") == "invalid JSON at byte 0: expected a value, found '.'")
    }

    @Test func lenientNumbersAreAnyRunOfNumberBytes() {
        #expect(skip("1.", .lenient) == "1.")
        #expect(skip("+1e", .lenient) == "+1e")
        #expect(skip(".5}", .lenient) == ".5")
        #expect(skip("1-2-3 ", .lenient) == "1-2-3")
        #expect(skip("x", .lenient) == "invalid JSON at byte 0: expected a value, found 'x'")
    }

    @Test func controlCharactersInStrings() {
        #expect(skip("\"a\tb\"") == "invalid JSON at byte 2: expected a string character (control characters must be escaped), found byte 0x9")
        #expect(skip("\"a\tb\"", .lenient) == "\"a\tb\"")
        #expect(read("\"a\nb\"", .lenient) == Array("a\nb".utf8))
    }

    @Test func escapesBothWays() {
        let all = #""\" \\ \/ \b \f \n \r \t \u00e9""#
        let decoded: [UInt8] = Array("\" \\ / \u{8} \u{c} \n \r \t é".utf8)
        #expect(read(all) == decoded)
        #expect(read(all, .lenient) == decoded)
        // An unknown escape is an error when strict and its character when lenient.
        #expect(read(#""a\qb""#) == nil)
        #expect(read(#""a\qb""#, .lenient) == Array("aqb".utf8))
        // \u without four hex digits: an error, or the letter u followed by what was written.
        #expect(read(#""\u12x4""#) == nil)
        #expect(read(#""\u12x4""#, .lenient) == Array("u12x4".utf8))
    }

    @Test func surrogatesAsGoDecodesThem() {
        for strictness in [JSONStrictness.strict, .lenient] {
            #expect(read(#""\ud83d\ude00""#, strictness) == [0xF0, 0x9F, 0x98, 0x80])
            // Lone halves become U+FFFD; what follows a lone high half is read on its own.
            #expect(read(#""\ud83dx""#, strictness) == [0xEF, 0xBF, 0xBD, 0x78])
            #expect(read(#""\ude00""#, strictness) == [0xEF, 0xBF, 0xBD])
            #expect(read(#""\ud83d\u0041""#, strictness) == [0xEF, 0xBF, 0xBD, 0x41])
        }
    }

    @Test func unterminatedStringsAndContainers() {
        #expect(skip("\"abc") == "invalid JSON at byte 4: expected '\"' closing the string, found end of input")
        #expect(skip(#""abc\""#, .lenient) == "invalid JSON at byte 6: expected '\"' closing the string, found end of input")
        #expect(skip(#"{"a":1"#) == "invalid JSON at byte 6: expected the end of an object or array, found end of input")
        #expect(skip(#"{"a" 1}"#) == "invalid JSON at byte 5: expected ':' after an object key, found '1'")
        #expect(skip("[1 2]") == "invalid JSON at byte 3: expected ',' or ']' in an array, found '2'")
        #expect(skip(#"{"a":[1,{"b":null}],"c":{}} tail"#) == #"{"a":[1,{"b":null}],"c":{}}"#)
    }

    @Test func depthIsBoundedOnlyWhenAsked() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(skip(deep).count == 200_000)
        #expect(skip(deep, .lenient, maxDepth: 256) == "invalid JSON at byte 256: expected objects and arrays nested at most 256 deep, found '['")
        let objects = String(repeating: #"{"a":"#, count: 256) + "1" + String(repeating: "}", count: 256)
        #expect(skip(objects, .lenient, maxDepth: 256) == objects)
        #expect(skip("[" + objects + "]", .lenient, maxDepth: 256).hasPrefix("invalid JSON"))
    }

    @Test func membersGiveRawKeysAndStopAtTheirValues() throws {
        let doc = Array(#"{"plain": 1, "esc\u0061ped": "v", "nested": {"x": [true, false]}}"#.utf8)
        var seen: [String] = []
        try doc.withUnsafeBytes { b in
            var s = JSONScanner(b)
            try s.forEachMember { s, key, escaped in
                let kind = try s.peekKind()
                seen.append("\(String(decoding: key, as: UTF8.self))|\(try s.string(key, escaped: escaped))|\(escaped)|\(kind)")
                try s.skipValue()
            }
            try s.expectEnd()
        }
        #expect(seen == ["plain|plain|false|number", #"esc\u0061ped|escaped|true|string"#, "nested|nested|false|object"])
    }

    @Test func elementsAreCountedAndKindsNamed() throws {
        let doc = Array(#"[null, true, false, "s", -1, [], {}]"#.utf8)
        var kinds: [JSONValueKind] = []
        try doc.withUnsafeBytes { b in
            var s = JSONScanner(b)
            try s.forEachElement { s, i in
                #expect(i == kinds.count)
                kinds.append(try s.peekKind())
                try s.skipValue()
            }
        }
        #expect(kinds == [.null, .bool, .bool, .string, .number, .array, .object])
    }

    @Test func trailingInputIsAnErrorOnlyWhenTheEndIsRequired() {
        let doc = Array("{} x".utf8)
        doc.withUnsafeBytes { b in
            var s = JSONScanner(b)
            #expect((try? s.skipValue()) == 0..<2)
            #expect(throws: JSONSyntaxError(offset: 3, expected: "end of input", found: "'x'")) { try s.expectEnd() }
        }
    }
}
