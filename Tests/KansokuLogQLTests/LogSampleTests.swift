import KansokuCore
@testable import KansokuLogQL
import KansokuLogStore
import Testing

/// The sampling pass: which blocks it reads in which order, when it stops, and which lines
/// each side keeps.
@Suite struct LogSampleTests {
    static let second: Int64 = 1_000_000_000

    /// One stream `{app="a"}`, one line a second from t = 0, in blocks of 10 lines.
    static func reader(_ lines: [String]) -> MemoryLogReader {
        MemoryLogReader([StreamBatch(labels: Labels(["app": "a"]), entries: lines.enumerated().map { i, l in
            LogEntry(timestamp: Int64(i) * second, line: l)
        })], blockEntries: 10)
    }

    static func sample(_ reader: MemoryLogReader, _ query: String, start: Int64 = 0, end: Int64, limit: Int,
                       sides: LogSample.Sides = [], wave: Int) async throws -> LogSample {
        guard case .log(let sel) = try LogQLParser.parse(query) else { throw LogQLError.execution("not a log query") }
        return try await LogSampleExec.run(sel, reader: reader, tenant: LogStore.defaultTenant, start: start, end: end, limit: limit,
                                           sides: sides, wave: wave)
    }

    static func seconds(_ side: LogSample.Side) -> [Int64] { side.entries.map { $0.timestamp / second } }

    @Test func spreadOrderHalvesTheGapsFirst() {
        #expect(SpreadOrder.indices(8) == [0, 4, 2, 6, 1, 5, 3, 7])
        #expect(SpreadOrder.indices(5) == [0, 4, 2, 1, 3])
        #expect(SpreadOrder.indices(1) == [0] && SpreadOrder.indices(0) == [])
        #expect(SpreadOrder.indices(1000).sorted() == Array(0..<1000))
        // Streams scrambled 0, 2, 1 (by index times 0x9E3779B97F4A7C15), turned by 0, ⌊0.618·2⌋ = 1
        // and ⌊0.236·4⌋ = 0: every stream's first block comes before any stream's second.
        #expect(SpreadOrder.blocks([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]) == [0, 9, 4, 2, 8, 6, 1, 5, 3, 7])
        #expect(SpreadOrder.blocks([[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]]) == [0, 8, 4, 7, 2, 5, 1, 9, 3, 6])
        #expect(SpreadOrder.blocks([Array(0..<8)]) == SpreadOrder.indices(8))
        #expect(SpreadOrder.even(10, keeping: 4) == [0, 2, 5, 7])
        #expect(SpreadOrder.even(3, keeping: 5) == [0, 1, 2])
    }

    /// 8 blocks of error lines, read one at a time: blocks 0 and 4 (t 0–9 and 40–49) give the
    /// 20 lines asked for, and the pass stops there.
    @Test func stopsOnceTheLimitIsRead() async throws {
        let r = Self.reader((0..<80).map { "error \($0)" })
        let s = try await Self.sample(r, #"{app="a"} |= "error""#, end: 80 * Self.second, limit: 20, wave: 1)
        #expect(s.blocksRead == 2 && s.blocksInRange == 8)
        #expect(Self.seconds(s.matching) == Array(0...9) + Array(40...49))
        #expect(s.matching.sampled)
        #expect(s.matching.entries[0].labels == Labels(["app": "a"]) && s.matching.entries[0].line == Array("error 0".utf8))
    }

    /// Fewer lines than the limit: every block is read and nothing is sampled.
    @Test func readsEverythingWhenTheLimitIsNotReached() async throws {
        let r = Self.reader((0..<80).map { $0 % 8 == 0 ? "error \($0)" : "info \($0)" })
        let s = try await Self.sample(r, #"{app="a"} |= "error""#, start: 5 * Self.second, end: 75 * Self.second, limit: 20, wave: 3)
        #expect(s.blocksRead == 8 && s.blocksInRange == 8)
        #expect(Self.seconds(s.matching) == [8, 16, 24, 32, 40, 48, 56, 64, 72])
        #expect(!s.matching.sampled)
    }

    /// Error and info lines alternate: one block gives 5 of each, enough for every side, and
    /// the 10 lines of `all` are thinned evenly to 5.
    @Test func splitsEachBlockIntoTheSides() async throws {
        let r = Self.reader((0..<40).map { $0 % 2 == 0 ? "error \($0)" : "info \($0)" })
        let s = try await Self.sample(r, #"{app="a"} |= "error""#, end: 40 * Self.second, limit: 5, sides: [.other, .all], wave: 1)
        #expect(s.blocksRead == 1 && s.blocksInRange == 4)
        #expect(Self.seconds(s.matching) == [0, 2, 4, 6, 8])
        #expect(Self.seconds(s.other) == [1, 3, 5, 7, 9])
        #expect(Self.seconds(s.all) == [0, 2, 4, 6, 8])
        #expect(s.other.entries.map { String(decoding: $0.line, as: UTF8.self) } == ["info 1", "info 3", "info 5", "info 7", "info 9"])
        #expect(s.matching.sampled && s.other.sampled && s.all.sampled)
        // Without other sides the pass keeps only what the query keeps.
        let alone = try await Self.sample(r, #"{app="a"} |= "error""#, end: 40 * Self.second, limit: 5, wave: 1)
        #expect(alone.other.entries.isEmpty && alone.all.entries.isEmpty && !alone.other.sampled)
    }

    /// A block of 10 lines for a limit of 3: more than twice the limit, so every other one goes
    /// (t 0, 2, 4, 6, 8), and 3 of those 5 are kept evenly (t 0, 2, 6).
    @Test func holdsAtMostTwiceTheLimit() async throws {
        let r = Self.reader((0..<30).map { "error \($0)" })
        let s = try await Self.sample(r, #"{app="a"} |= "error""#, end: 30 * Self.second, limit: 3, wave: 1)
        #expect(s.blocksRead == 1)
        #expect(Self.seconds(s.matching) == [0, 2, 6])
        #expect(s.matching.sampled)
        func lines(_ ts: Range<Int>) -> [LogSampleExec.Found] {
            ts.map { LogSampleExec.Found(ts: Int64($0), task: 0, index: $0, labels: Labels(), line: []) }
        }
        var kept = SampleReservoir(limit: 3)
        kept.add([lines(0..<4), lines(4..<7)], dropped: false, read: 7, blocks: 2)
        #expect(kept.found.map(\.ts) == [0, 2, 4, 6] && kept.stride == 2 && kept.dropped)
        // 17 held: halved to 9, still more than 6, halved again.
        kept.add([lines(100..<113)], dropped: false, read: 13, blocks: 1)
        #expect(kept.found.map(\.ts) == [0, 100, 104, 108, 112] && kept.stride == 8)
    }

    /// 12 lines met in one block for a limit of 10: a wave of 2 more blocks should bring 24,
    /// past twice the limit, so the 12 are halved ahead (stride 2); 6 held, 4 short, which at
    /// 6 kept a block is one more block.
    @Test func halvesAheadOfADenseWave() {
        var kept = SampleReservoir(limit: 10)
        #expect(kept.blocksNeeded == nil)
        kept.add([(0..<12).map { LogSampleExec.Found(ts: Int64($0), task: 0, index: $0, labels: Labels(), line: []) }],
                 dropped: false, read: 12, blocks: 1)
        #expect(kept.found.count == 12 && kept.stride == 1 && kept.blocksNeeded == 0)
        kept.prepare(blocks: 2)
        #expect(kept.found.map(\.ts) == [0, 2, 4, 6, 8, 10] && kept.stride == 2 && kept.dropped)
        #expect(kept.blocksNeeded == 1)
    }

    /// A pipeline that rewrites lines and adds labels: the query's side has its output, the
    /// other side the stored line and the stream's labels.
    @Test func querySideIsThePipelinesOutput() async throws {
        let r = Self.reader((0..<10).map { "level=\($0 < 3 ? "error" : "info") n=\($0)" })
        let s = try await Self.sample(r, #"{app="a"} | logfmt | level="error" | line_format "{{.n}}""#, end: 10 * Self.second,
                                      limit: 100, sides: .other, wave: 2)
        #expect(s.matching.entries.map { String(decoding: $0.line, as: UTF8.self) } == ["0", "1", "2"])
        #expect(s.matching.entries[0].labels == Labels(["app": "a", "level": "error", "n": "0"]))
        #expect(s.other.entries.count == 7 && s.other.entries[0].line == Array("level=info n=3".utf8))
        #expect(s.other.entries[0].labels == Labels(["app": "a"]))
        #expect(!s.matching.sampled && !s.other.sampled)
    }
}
