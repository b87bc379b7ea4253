import Testing
@testable import KansokuCore

@Suite struct LabelsTests {
    @Test func sortsAndPrints() {
        let l = Labels(["b": "2", "a": "x\"y"])
        #expect(l.description == #"{a="x\"y", b="2"}"#)
        #expect(l["b"] == "2")
        #expect(l["c"] == nil)
        #expect(l.setting("c", to: "3").map(\.name) == ["a", "b", "c"])
        #expect(l.setting("a", to: "").map(\.name) == ["b"])
        #expect(l.stableHash == Labels(["a": "x\"y", "b": "2"]).stableHash)
        #expect(l.stableHash != Labels(["a": "x\"y", "b": "3"]).stableHash)
    }

    @Test func matchersAnchorRegexes() throws {
        let m = try LabelMatcher(name: "app", type: .regexMatch, value: "api|web")
        #expect(m.matches("api"))
        #expect(!m.matches("api2"))
        let n = try LabelMatcher(name: "app", type: .regexNoMatch, value: ".+")
        #expect(n.matchesEmpty)
        #expect(!n.matches("x"))
        #expect(throws: RegexError.self) { try LabelMatcher(name: "a", type: .regexMatch, value: "(") }
    }
}

@Suite struct RegexTests {
    @Test func findsAndCaptures() throws {
        let r = try RE2Regex(#"(?P<verb>GET|POST) (\S+)"#)
        #expect(r.groupCount == 2)
        #expect(r.groupNames == [nil, "verb", nil])
        let caps = try #require(r.captures(in: "x POST /a b"))
        #expect(caps[1] == "POST")
        #expect(caps[2] == "/a")
        #expect(r.firstMatch(in: "zz GET /") == 3..<8)
        #expect(try RE2Regex("(?i)timeout").matches("Read TIMEOUT"))
        #expect(try RE2Regex("timeout").literal == Array("timeout".utf8))
        #expect(try RE2Regex("time.ut").literal == nil)
    }
}

@Suite struct DurationAndTimeTests {
    @Test func durations() {
        #expect(PromDuration("1h30m")?.milliseconds == 5_400_000)
        #expect(PromDuration("10s53ms")?.milliseconds == 10_053)
        #expect(PromDuration("1d")?.description == "1d")
        #expect(PromDuration("90m")?.description == "1h30m")
        #expect(PromDuration("0") == PromDuration(milliseconds: 0))
        #expect(PromDuration("5m1h") == nil)
        #expect(PromDuration("5") == nil)
        #expect(PromDuration("") == nil)
        #expect(PromDuration(durationOrSeconds: "1.5")?.milliseconds == 1500)
    }

    @Test func times() throws {
        let now: Int64 = 1_700_000_000_000_000_000
        #expect(try TimeParser.parse("2024-01-01T00:00:00Z") == 1_704_067_200_000_000_000)
        #expect(try TimeParser.parse("2024-01-01T01:00:00.5+01:00") == 1_704_067_200_500_000_000)
        #expect(try TimeParser.parse("1704067200") == 1_704_067_200_000_000_000)
        #expect(try TimeParser.parse("1704067200.25") == 1_704_067_200_250_000_000)
        #expect(try TimeParser.parse("1704067200000000001") == 1_704_067_200_000_000_001)
        #expect(try TimeParser.parse("now-1h", now: now) == now - 3_600_000_000_000)
        #expect(try TimeParser.parse("1h", now: now) == now - 3_600_000_000_000)
        #expect(throws: TimeParseError.self) { try TimeParser.parse("yesterday") }
        #expect(TimeFormatter.rfc3339Nano(1_704_067_200_500_000_000) == "2024-01-01T00:00:00.5Z")
        #expect(TimeFormatter.rfc3339Nano(0) == "1970-01-01T00:00:00Z")
    }

    @Test func positions() {
        #expect(SourcePosition(offset: 4, in: "ab\ncd") == SourcePosition(line: 2, column: 2))
    }
}

@Suite struct ByteCodingTests {
    @Test func roundTrip() throws {
        var w = ByteWriter()
        w.writeUVarint(300)
        w.writeVarint(-5)
        w.writeU32(0xDEAD_BEEF)
        w.writeU64(42)
        w.writeString("héllo")
        let bytes = w.bytes
        try bytes.withUnsafeBytes { (buf) throws in
            var r = ByteReader(buf)
            #expect(try r.readUVarint() == 300)
            #expect(try r.readVarint() == -5)
            #expect(try r.readU32() == 0xDEAD_BEEF)
            #expect(try r.readU64() == 42)
            #expect(try r.readString() == "héllo")
            #expect(r.isAtEnd)
            #expect(throws: ByteReadError.self) { try r.readU8() }
        }
    }

    @Test func crc32cKnownValue() {
        // RFC 3720 test vector: 32 bytes of zeros.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        let all = Array("hello world, chained".utf8)
        let first = CRC32C.checksum(Array(all[0..<7]))
        #expect(CRC32C.checksum(Array(all[7...]), continuing: first) == CRC32C.checksum(all))
    }

    @Test func crc32cHardwareMatchesTables() {
        print("CRC32C: \(CRC32C.hardware ? "processor instruction" : "tables only")")
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<4099).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes.withUnsafeBytes { all in
            // Every alignment and length class, chained from a nonzero start.
            for start in 0..<9 {
                for length in [0, 1, 7, 8, 9, 63, 64, 65, 1000, 4090 - start] {
                    let part = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    #expect(CRC32C.checksum(part, continuing: 0x1234_5678) == CRC32C.software(part, continuing: 0x1234_5678))
                }
            }
        }
    }
}

@Suite struct ByteSizeTests {
    @Test func readsLokisAndPromtailsSpellings() {
        #expect(ByteSize.parseInt("4MiB") == 4 << 20)
        #expect(ByteSize.parseInt("1.5KB") == 1500)
        #expect(ByteSize.parseInt("20 MB") == 20_000_000)
        #expect(ByteSize.parseInt("1,000") == 1000)
        #expect(ByteSize.parse("10GB") == 10_000_000_000)
        #expect(ByteSize.format(1_500_000) == "1.5MB")
        #expect(ByteSize.parseInt("12 parsecs") == nil)
    }

    @Test func sizesPastTheirTypeAreRefusedNotTrapped() {
        #expect(ByteSize.parseInt("99999999999999999999") == nil)
        #expect(ByteSize.parseInt("100000000000GiB") == nil)
        #expect(ByteSize.parse("19EB") == nil)
        #expect(ByteSize.parseInt("10EB") == nil)
    }
}
