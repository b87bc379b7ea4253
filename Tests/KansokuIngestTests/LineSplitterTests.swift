import Testing

@testable import KansokuIngest

@Suite struct LineSplitterTests {
    /// Feeds `chunks` and returns the lines and their end offsets.
    func split(_ chunks: [[UInt8]], flush: Bool = false) -> [(String, Int)] {
        var s = LineSplitter()
        var out: [(String, Int)] = []
        var base = 0
        for c in chunks {
            c.withUnsafeBytes { b in
                s.feed(b) { line, consumed in out.append((String(decoding: line, as: UTF8.self), base + consumed)) }
            }
            base += c.count
        }
        if flush { s.flush { out.append((String(decoding: $0, as: UTF8.self), base)) } }
        return out
    }

    @Test func splitsAndKeepsPartialLinesUntilTheirNewline() {
        let got = split([Array("a\nbb\ncc".utf8), Array("c\n\nd".utf8)])
        #expect(got.map(\.0) == ["a", "bb", "ccc", ""])
        #expect(got.map(\.1) == [2, 5, 9, 10])
        #expect(split([Array("a\nlast".utf8)], flush: true).map(\.0) == ["a", "last"])
    }

    @Test func crlfIsATerminator() {
        #expect(split([Array("a\r\nb\r".utf8), Array("\nc\rd\n".utf8)]).map(\.0) == ["a", "b", "c\rd"])
    }

    @Test func invalidUTF8IsKeptAsBytes() {
        var s = LineSplitter()
        var lines: [[UInt8]] = []
        let input: [UInt8] = [0xFF, 0xFE, 0x41, 0x0A, 0xC3, 0x28, 0x0A]
        input.withUnsafeBytes { b in s.feed(b) { line, _ in lines.append(Array(line)) } }
        #expect(lines == [[0xFF, 0xFE, 0x41], [0xC3, 0x28]])
    }

    @Test func longLinesAreCutWithAMarker() {
        let max = LineSplitter.maxLineBytes
        let long = [UInt8](repeating: UInt8(ascii: "x"), count: max + 1000)
        // Delivered in pieces, as reads would.
        let got = split([Array(long[0..<100_000]), Array(long[100_000...]) + Array("\nnext\n".utf8)])
        #expect(got.count == 2)
        let first = Array(got[0].0.utf8)
        #expect(first.count == max)
        #expect(first.suffix(LineSplitter.truncationMarker.count).elementsEqual(LineSplitter.truncationMarker))
        #expect(got[0].1 == max + 1001)  // the whole line is consumed
        #expect(got[1].0 == "next")
        // A line exactly at the limit is kept whole.
        let exact = [UInt8](repeating: UInt8(ascii: "y"), count: max)
        #expect(split([exact + [0x0A]]).first?.0.utf8.count == max)
    }

    @Test func cutNeverSplitsAUTF8Character() {
        let max = LineSplitter.maxLineBytes
        let room = max - LineSplitter.truncationMarker.count
        // "é" (2 bytes) straddling the cut point.
        var line = [UInt8](repeating: UInt8(ascii: "a"), count: room - 1)
        line += [0xC3, 0xA9]
        line += [UInt8](repeating: UInt8(ascii: "b"), count: 5000)
        let got = split([line + [0x0A]])
        let bytes = Array(got[0].0.utf8)
        #expect(bytes.count == room - 1 + LineSplitter.truncationMarker.count)
        #expect(String(validating: bytes, as: UTF8.self) != nil)
    }
}

@Suite struct GlobTests {
    @Test func expandsStarQuestionAndDoubleStar() throws {
        let dir = try TempDir()
        for p in ["a.log", "b.log", "c.txt", ".hidden.log", "sub/d.log", "sub/deep/e.log", "sub/deep/f.txt"] {
            try dir.write(p, "x\n")
        }
        #expect(Glob.expand(dir.path + "/*.log") == [dir.path + "/a.log", dir.path + "/b.log"])
        #expect(Glob.expand(dir.path + "/?.txt") == [dir.path + "/c.txt"])
        #expect(Glob.expand(dir.path + "/**/*.log") == [dir.path + "/a.log", dir.path + "/b.log", dir.path + "/sub/d.log",
                                                         dir.path + "/sub/deep/e.log"])
        #expect(Glob.expand(dir.path + "/sub/*/e.log") == [dir.path + "/sub/deep/e.log"])
        #expect(Glob.expand(dir.path + "/missing/*.log") == [])
        #expect(Glob.matches(dir.path + "/**/d.log", path: dir.path + "/sub/d.log"))
        #expect(!Glob.matches(dir.path + "/*.log", path: dir.path + "/sub/d.log"))
    }
}

@Suite struct PositionsFileTests {
    @Test func roundTripsAndReplacesAtomically() throws {
        let dir = try TempDir()
        let file = PositionsFile(path: dir.path + "/positions.yaml")
        #expect(try file.load() == [])
        let positions = [
            FilePosition(path: "/var/log/\"odd\" name.log", identity: FileIdentity(device: 2049, inode: UInt64.max - 3), offset: 12345,
                         lastTimestamp: 1_700_000_000_000_000_000, fingerprintLength: 1024, fingerprint: 0xDEAD_BEEF,
                         pending: PendingRange(end: 20000, baseTimestamp: 1_700_000_000_000_000_001, fudgeTimestamp: nil,
                                               checksum: UInt64.max - 1, lines: 42)),
            FilePosition(path: "/b.log", identity: FileIdentity(device: 1, inode: 2), offset: 0,
                         pending: PendingRange(end: 5, baseTimestamp: 9, fudgeTimestamp: -7, checksum: 1, lines: 1)),
        ]
        try file.save(positions)
        #expect(try file.load() == positions)
        #expect(!FileManagerLite.exists(dir.path + "/positions.yaml.tmp"))
        try dir.write("positions.yaml", "{\"files\": [ {\"path\": 1")
        #expect(throws: PositionsError.self) { try file.load() }
    }
}
