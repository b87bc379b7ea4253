import Testing
import Foundation
import KansokuCore
import KansokuLogStore
@testable import KansokuLogQL

@Suite struct EngineTests {
    static let s = Int64(1_000_000_000)

    static func batches() -> [StreamBatch] {
        var a: [LogEntry] = [], b: [LogEntry] = []
        for i in 0..<100 {
            a.append(LogEntry(timestamp: Int64(i) * s, line: "level=\(i % 10 == 0 ? "error" : "info") msg=\"req \(i)\" latency=\(i)ms"))
            b.append(LogEntry(timestamp: Int64(i) * s + s / 2, line: "{\"level\":\"warn\",\"n\":\(i)}"))
        }
        return [StreamBatch(labels: Labels(["app": "api"]), entries: a), StreamBatch(labels: Labels(["app": "web"]), entries: b)]
    }

    static let engine = LogQLEngine(reader: MemoryLogReader(batches(), blockEntries: 16))

    @Test func backwardLimitReturnsNewestEntries() async throws {
        let r = try await Self.engine.queryRange("{app=~\"api|web\"}", tenant: "fake", start: 0, end: 100 * Self.s, step: 0,
                                                 direction: .backward, limit: 5)
        guard case .streams(let ss) = r.data else { Issue.record("not streams"); return }
        let ts = ss.flatMap { $0.entries.map(\.timestamp) }.sorted(by: >)
        let half = Self.s / 2
        let want: [Int64] = [99 * Self.s + half, 99 * Self.s, 98 * Self.s + half, 98 * Self.s, 97 * Self.s + half]
        #expect(ts == want)
        #expect(r.stats.blocksSkippedByLimit > 0)
    }

    @Test func forwardRangeIsHalfOpen() async throws {
        let r = try await Self.engine.queryRange("{app=\"api\"}", tenant: "fake", start: 10 * Self.s, end: 20 * Self.s, step: 0,
                                                 direction: .forward, limit: 100)
        guard case .streams(let ss) = r.data else { Issue.record("not streams"); return }
        #expect(ss.count == 1)
        #expect(ss[0].entries.map(\.timestamp) == (10..<20).map { Int64($0) * Self.s })
    }

    @Test func pipelineRewritesLabelsAndLines() async throws {
        let q = "{app=\"api\"} |= \"error\" | logfmt | latency > 20ms | line_format \"{{.level | upper}} {{.msg}}\""
        let r = try await Self.engine.queryRange(q, tenant: "fake", start: 0, end: 100 * Self.s, step: 0, direction: .forward, limit: 100)
        guard case .streams(let ss) = r.data else { Issue.record("not streams"); return }
        let lines = ss.flatMap { $0.entries.map { String(decoding: $0.line, as: UTF8.self) } }
        #expect(lines == ["ERROR req 30", "ERROR req 40", "ERROR req 50", "ERROR req 60", "ERROR req 70", "ERROR req 80", "ERROR req 90"])
        #expect(ss.allSatisfy { $0.labels["level"] == "error" && $0.labels["latency"] != nil })
    }

    @Test func instantMetricQuery() async throws {
        let r = try await Self.engine.queryInstant("sum by (app) (count_over_time({app=~\".+\"} | json | __error__=\"\" [1m]))",
                                                   tenant: "fake", time: 99 * Self.s)
        guard case .vector(let v) = r.data else { Issue.record("not a vector"); return }
        #expect(v.map { $0.labels.description } == ["{app=\"web\"}"])
        #expect(v.first?.value == 60)
    }

    @Test func rangeMetricQueryAndUnwrap() async throws {
        let r = try await Self.engine.queryRange("max_over_time({app=\"api\"} | logfmt level, latency | unwrap duration(latency) [10s])",
                                                 tenant: "fake", start: 20 * Self.s, end: 40 * Self.s, step: 10 * Self.s)
        guard case .matrix(let m) = r.data else { Issue.record("not a matrix"); return }
        #expect(m.count == 2) // info and error lines form separate series
        let info = m.first { $0.labels["level"] == "info" }
        #expect(info?.points.map(\.value) == [0.019, 0.029, 0.039])
    }

    @Test func instantLogQueryIsRejected() async {
        await #expect(throws: LogQLError.self) {
            _ = try await Self.engine.queryInstant("{app=\"api\"}", tenant: "fake", time: 0)
        }
    }

    @Test func seriesAndLabels() throws {
        #expect(try Self.engine.series("{app=~\".+\"}", tenant: "fake", start: 0, end: 100 * Self.s).count == 2)
        #expect(try Self.engine.labels(tenant: "fake", start: 0, end: 100 * Self.s) == ["app"])
        #expect(try Self.engine.labels(tenant: "fake", name: "app", start: 0, end: 100 * Self.s) == ["api", "web"])
    }

    @Test func tailPipeline() throws {
        let (matchers, p) = try LogQLEngine.pipeline(for: "{app=\"api\"} | json | n > 3 | keep n")
        #expect(matchers.map(\.description) == ["app=\"api\""])
        let out = p.process(labels: Labels(["app": "api"]), line: Array("{\"n\": 5, \"x\": 1}".utf8))
        #expect(out.keep)
        #expect(out.labels.description == "{n=\"5\"}")
        #expect(!p.process(labels: Labels(["app": "api"]), line: Array("{\"n\": 2}".utf8)).keep)
    }

    @Test func storeBackedQueriesMatchMemory() async throws {
        let dir = NSTemporaryDirectory() + "logql-engine-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try LogStore.open(LogStoreConfig(directory: dir, fsync: .never))
        _ = try await store.append(Self.batches())
        let engine = LogQLEngine(store: store)
        for q in ["{app=~\".+\"} |= \"error\"", "{app=\"web\"} | json | n >= 90"] {
            let a = try await engine.queryRange(q, tenant: "fake", start: 0, end: 100 * Self.s, step: 0, direction: .forward, limit: 1000)
            let b = try await Self.engine.queryRange(q, tenant: "fake", start: 0, end: 100 * Self.s, step: 0, direction: .forward, limit: 1000)
            guard case .streams(let x) = a.data, case .streams(let y) = b.data else { Issue.record("not streams"); return }
            #expect(x.flatMap(\.entries).map(\.line) == y.flatMap(\.entries).map(\.line), "\(q)")
        }
        try await store.close()
    }
}

@Suite struct ParserUnitTests {
    @Test func positionsAndExpectations() {
        #expect(throws: LogQLError.parse(message: "syntax error: unexpected $end, expecting } or ,", line: 1, column: 11)) {
            _ = try LogQLParser.parse("{foo=\"bar\"")
        }
        #expect(throws: LogQLError.parse(message: "syntax error: unexpected IDENTIFIER, expecting NUMBER", line: 2, column: 8)) {
            _ = try LogQLParser.parse("# a comment\nvector(abc)")
        }
    }

    @Test func canonicalForms() throws {
        #expect(try LogQLParser.parse("sum by(app)(rate({app=\"a\"}|=\"x\"[5m]))").description == "sum by (app)(rate({app=\"a\"} |= \"x\"[5m]))")
        #expect(try LogQLParser.parse("{app=\"foo\"} != \"a\" or \"b\"").description == "{app=\"foo\"} != \"a\" != \"b\"")
        #expect(try LogQLParser.parse("2 * 3 + 1").description == "7")
    }

    @Test func simpleRegexesBecomeLiteralSearches() {
        guard case .literal(let l)? = RegexSimplifier.simplify("foo\\.bar") else { Issue.record("not literal"); return }
        #expect(l == Array("foo.bar".utf8))
        guard case .anyLiteral(let ls)? = RegexSimplifier.simplify("GET|POST") else { Issue.record("not any-literal"); return }
        #expect(ls.count == 2)
        guard case .foldedLiteral? = RegexSimplifier.simplify("(?i)Timeout") else { Issue.record("not folded"); return }
        #expect(RegexSimplifier.simplify("fo+") == nil)
    }

    @Test func byteSearch() {
        let hay = Array("the quick brown fox jumps over the lazy dog, TIMEOUT waiting".utf8)
        hay.withUnsafeBytes { h in
            #expect(Array("lazy".utf8).withUnsafeBytes { ByteSearch.contains($0, in: h) })
            #expect(!Array("lazier".utf8).withUnsafeBytes { ByteSearch.contains($0, in: h) })
            #expect(Array("timeout".utf8).withUnsafeBytes { ByteSearch.containsFolded($0, in: h) })
            #expect(!Array("timeouts".utf8).withUnsafeBytes { ByteSearch.containsFolded($0, in: h) })
        }
    }
}

@Suite struct ByteSearchTests {
    /// The vector scans (32- and 16-byte, and their scalar tails) agree with a naive search at
    /// every alignment and length.
    @Test func agreesWithNaiveSearch() {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed }
        let alphabet = Array("abAB-".utf8)
        for _ in 0..<5000 {
            let n = Int(next() % 300)
            let hay = (0..<n).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }
            let m = 1 + Int(next() % 6)
            let needle = (0..<m).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }
            let lowerHay = hay.map(ByteSearch.lower), lowerNeedle = needle.map(ByteSearch.lower)
            func naive(_ h: [UInt8], _ nd: [UInt8]) -> Int? {
                guard h.count >= nd.count else { return nil }
                for i in 0...(h.count - nd.count) where Array(h[i..<(i + nd.count)]) == nd { return i }
                return nil
            }
            let exact = hay.withUnsafeBytes { h in needle.withUnsafeBytes { ByteSearch.find($0, in: h) } }
            #expect(exact == naive(hay, needle))
            let folded = hay.withUnsafeBytes { h in lowerNeedle.withUnsafeBytes { ByteSearch.findFolded($0, in: h) } }
            #expect(folded == naive(lowerHay, lowerNeedle))
        }
    }
}

@Suite struct BlockSearchTests {
    /// Whole-block literal search must not report a match that spans two lines.
    @Test func matchesNeverCrossLines() async throws {
        let lines = ["abc", "def", "xcdx", "ab", "cDe", "error here", "errors"]
        let entries = lines.enumerated().map { LogEntry(timestamp: Int64($0.offset + 1), line: $0.element) }
        let engine = LogQLEngine(reader: MemoryLogReader([StreamBatch(labels: Labels(["app": "a"]), entries: entries)]))
        func run(_ q: String) async throws -> [String] {
            let r = try await engine.queryRange(q, tenant: "fake", start: 0, end: 100, step: 0, direction: .forward, limit: 100)
            guard case .streams(let ss) = r.data else { return [] }
            return ss.flatMap { $0.entries.map { String(decoding: $0.line, as: UTF8.self) } }
        }
        #expect(try await run("{app=\"a\"} |= \"cd\"") == ["xcdx"])
        #expect(try await run("{app=\"a\"} |~ \"(?i)cd\"") == ["xcdx", "cDe"])
        #expect(try await run("{app=\"a\"} |= \"error\"") == ["error here", "errors"])
        let c = try await engine.queryInstant("count_over_time({app=\"a\"} |= \"bc\" [1m])", tenant: "fake", time: 50)
        guard case .vector(let v) = c.data else { Issue.record("not a vector"); return }
        #expect(v.first?.value == 1)
    }
}
