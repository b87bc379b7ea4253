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
        var bytes: [UInt8] = [], starts = [0]
        for l in lines { bytes += l; starts.append(bytes.count) }
        let builder = TokenBloomBuilder()
        return bytes.withUnsafeBytes { b in starts.withUnsafeBufferPointer { builder.build(b, lineStarts: $0, hint: 0).filter } }
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

    @Test func hintedBuildMatchesExactBuildOnContent() {
        let lines = Self.lines()
        var bytes: [UInt8] = [], starts = [0]
        for l in lines { bytes += l; starts.append(bytes.count) }
        let builder = TokenBloomBuilder()
        let (exact, distinct) = bytes.withUnsafeBytes { b in starts.withUnsafeBufferPointer { builder.build(b, lineStarts: $0, hint: 0) } }
        let (hinted, _) = bytes.withUnsafeBytes { b in starts.withUnsafeBufferPointer { builder.build(b, lineStarts: $0, hint: distinct) } }
        #expect(distinct > 0)
        #expect(hinted.words.count == exact.words.count)
        #expect(hinted == exact)
    }
}
