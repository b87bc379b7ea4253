import Testing
import KansokuCore

/// The one logfmt reader, as LogQL's `| logfmt [--strict]` and the ingest pipeline's logfmt
/// stage use it. Expected pairs and messages are what Loki's `pkg/logql/log/logfmt` decoder
/// gives for the same lines (its `SyntaxError` reads "logfmt syntax error at pos N : msg").
@Suite struct LogfmtTests {
    /// `key=value` for each pair read, then `!error` when reading stopped at one.
    func pairs(_ line: String, strict: Bool = false) -> [String] {
        Array(line.utf8).withUnsafeBytes { b in
            var s = LogfmtScanner(b, strict: strict)
            var out: [String] = []
            do {
                while let p = try s.next() {
                    out.append(String(decoding: UnsafeRawBufferPointer(rebasing: b[p.key]), as: UTF8.self) + "=" + s.value(of: p))
                }
            } catch {
                out.append("!\(error)")
            }
            return out
        }
    }

    @Test func wellFormedLines() {
        #expect(pairs(#"ts=2024-01-01 level=error msg="disk \"sda\" full" flag dur=5ms"#)
                == ["ts=2024-01-01", "level=error", #"msg=disk "sda" full"#, "flag=", "dur=5ms"])
        #expect(pairs("  a=1\tb=  c=3 ") == ["a=1", "b=", "c=3"])
        #expect(pairs(#"empty="" k="v w""#) == ["empty=", "k=v w"])
        #expect(pairs("") == [])
        #expect(pairs("last") == ["last="])
    }

    @Test func quotedValuesDecodeGoEscapes() {
        #expect(pairs(#"m="a\tb\nc \u00e9 \x41 \\""#) == ["m=a\tb\nc é A \\"])
        // Not a Go string (\q): the bytes stand as written.
        #expect(pairs(#"m="a\qb" n=1"#) == [#"m=a\qb"#, "n=1"])
        #expect(pairs(#"m="a\"b""#) == [#"m=a"b"#])
    }

    @Test func lenientReadingSkipsWhatItCannotRead() {
        #expect(pairs(#"=x a=1 "q b=2"#) == ["a=1", "b=2"])
        #expect(pairs(#"k"v" a=1"#) == ["a=1"])
        #expect(pairs("a=b=c d=\"e\"f") == ["a=b=c", "d=e", "f="])
        // A quoted value that never closes ends the line; what came before is kept.
        #expect(pairs(#"a=1 b="open c=3"#) == ["a=1"])
    }

    @Test func strictReadingNamesThePosition() {
        #expect(pairs("a=1 =x", strict: true) == ["a=1", "!logfmt syntax error at pos 5 : unexpected '='"])
        #expect(pairs(#"a=b"c"#, strict: true) == [#"!logfmt syntax error at pos 4 : unexpected '"'"#])
        #expect(pairs("a=b=c", strict: true) == ["!logfmt syntax error at pos 4 : unexpected '='"])
        #expect(pairs(#"k"v""#, strict: true) == [#"!logfmt syntax error at pos 2 : unexpected '"'"#])
        #expect(pairs(#"a=1 b="open"#, strict: true) == ["a=1", "!logfmt syntax error at pos 12 : unterminated quoted value"])
        #expect(pairs(#"a=1 b="x y" c"#, strict: true) == ["a=1", "b=x y", "c="])
    }

    @Test func valuesAppendWithoutDecodingPlainOnes() {
        let line = Array(#"a=plain b="esc\"aped""#.utf8)
        line.withUnsafeBytes { b in
            var s = LogfmtScanner(b)
            var arena: [UInt8] = []
            while let p = try? s.next() { s.appendValue(of: p, to: &arena); arena.append(0x7C) }
            #expect(String(decoding: arena, as: UTF8.self) == #"plain|esc"aped|"#)
        }
    }
}

/// Go's `strconv.Unquote`, which LogQL strings, template strings and logfmt values share.
@Suite struct GoStringTests {
    func unquote(_ s: String) -> String? { try? GoString.unquote(Array(s.utf8)).get() }

    @Test func doubleQuoted() {
        #expect(unquote(#""a\n\t\"\\\a\b\f\v\r""#) == "a\n\t\"\\\u{7}\u{8}\u{c}\u{b}\r")
        #expect(unquote(#""\x41\101\u00e9\U0001F600""#) == "AAé😀")
        #expect(unquote(#""\q""#) == nil)
        #expect(unquote(#""\x4""#) == nil)
        #expect(unquote(#""\400""#) == nil)
        #expect(unquote(#""\ud800""#) == nil)
        #expect(unquote(#""trailing\""#) == nil)
        #expect(unquote("\"") == nil)
    }

    @Test func rawAndRune() {
        #expect(unquote("`a\\n\r\nb`") == "a\\n\nb")
        #expect(unquote(#"'\u00e9'"#) == "é")
    }

    @Test func failureLeavesTheBufferAsItWas() {
        var out: [UInt8] = [1, 2]
        let ok = Array(#""ab\q""#.utf8).withUnsafeBytes { GoString.unquote($0, into: &out) }
        #expect(!ok)
        #expect(out == [1, 2])
    }
}
