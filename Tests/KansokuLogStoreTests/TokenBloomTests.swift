import Testing
@testable import KansokuLogStore

@Suite struct TokenBloomTests {
    /// Lines with tokens of every length, mixed case, digits, underscores and UTF-8.
    static func lines() -> [[UInt8]] {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijKLMNOP0123456789_".utf8)
        let separators = Array(" =:/.,-\"[]".utf8)
        return (0..<400).map { i in
            var line: [UInt8] = []
            for _ in 0..<Int.random(in: 1...12, using: &rng) {
                for _ in 0..<Int.random(in: 1...14, using: &rng) { line.append(alphabet.randomElement(using: &rng)!) }
                if i % 5 == 0 { line += Array("é日".utf8) }
                line.append(separators.randomElement(using: &rng)!)
            }
            return line
        }
    }

    static func build(_ lines: [[UInt8]]) -> TokenBloom {
        let bytes = lines.flatMap { $0 }
        return bytes.withUnsafeBytes { TokenBloomBuilder().build($0, hint: 0).filter }
    }

    @Test func neverRulesOutASubstringOfAnyLine() {
        let lines = Self.lines()
        let bloom = Self.build(lines)
        var checked = 0
        for line in lines {
            for _ in 0..<20 {
                let a = Int.random(in: 0..<line.count)
                let b = Int.random(in: a...line.count)
                let literal = Array(line[a..<b])
                let ok = literal.withUnsafeBytes { bloom.mayContain($0, caseInsensitive: false) }
                #expect(ok, "substring \(String(decoding: literal, as: UTF8.self)) of a line was ruled out")
                let upper = literal.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }
                #expect(upper.withUnsafeBytes { bloom.mayContain($0, caseInsensitive: true) })
                checked += 1
            }
        }
        #expect(checked == 8000)
    }

    @Test func rulesOutAbsentLongLiterals() {
        let bloom = Self.build(Self.lines())
        let absent = Array("trace_id=zzzzqqqqxxxxwwwwyyyyvvvv".utf8)
        #expect(!absent.withUnsafeBytes { bloom.mayContain($0, caseInsensitive: false) })
        // A literal without any 4-byte gram cannot be checked: the answer is "maybe".
        #expect(Array("a=b".utf8).withUnsafeBytes { bloom.mayContain($0, caseInsensitive: false) })
    }

    /// A short distinctive token after a separator decides whatever its offset parity: the
    /// first gram of every token is a key.
    @Test func shortTokensAfterSeparatorsDecide() {
        let lines = (0..<200).map { Array("ts=\($0) user=\(5000 + $0) action=login ok\n".utf8) }
        let bloom = Self.build(lines)
        for literal in ["user=5017 ", "=5017", " user=5199"] {
            #expect(Array(literal.utf8).withUnsafeBytes { bloom.mayContain($0, caseInsensitive: false) }, "\(literal)")
        }
        // Absent numbers: with ~2 bits per key one gram passes by chance ~40% of the time.
        let passed = (1000..<1200).filter { n in Array("user=\(n)".utf8).withUnsafeBytes { bloom.mayContain($0, caseInsensitive: false) } }
        print("short-token false positives: \(passed.count)/200")
        #expect(passed.count < 120)
    }

    @Test func hintedBuildMatchesExactBuildOnContent() {
        let lines = Self.lines()
        let bytes = lines.flatMap { $0 }
        let builder = TokenBloomBuilder()
        let (exact, distinct) = bytes.withUnsafeBytes { builder.build($0, hint: 0) }
        let (hinted, _) = bytes.withUnsafeBytes { builder.build($0, hint: distinct) }
        #expect(distinct > 0)
        #expect(hinted.words.count == exact.words.count)
        #expect(hinted == exact)
    }

    /// Filters of the first format (keys at even offsets inside tokens, flag bit 1 clear) are
    /// still read with their own rule.
    @Test func tokenOffsetFiltersStillRead() {
        let lines = Self.lines()
        var words = [UInt64](repeating: 0, count: 512)
        let bits = words.count * 64
        for line in lines {
            var gram: UInt32 = 0, run = 0
            for b in line {
                let c = TokenGrams.classes[Int(b)]
                if c == 0 { run = 0; continue }
                gram = (gram << 8) | UInt32(c)
                run += 1
                if run >= 4 && run & 1 == 0 {
                    let s = TokenBloom.slot(gram, bits: bits)
                    words[s >> 6] |= 1 << UInt64(s & 63)
                }
            }
        }
        let old = TokenBloom(words: words, keying: .tokenOffsets)
        for line in lines.prefix(100) {
            let a = Int.random(in: 0..<line.count), b = Int.random(in: a...line.count)
            #expect(Array(line[a..<b]).withUnsafeBytes { old.mayContain($0, caseInsensitive: false) })
        }
        #expect(!Array("trace_id=zzzzqqqqxxxxwwwwyyyyvvvv".utf8).withUnsafeBytes { old.mayContain($0, caseInsensitive: false) })
    }
}
