import Testing
import Foundation
import KansokuCore
import KansokuLogStore
@testable import KansokuLogQL

/// Line and byte counts per window, answered by summing as blocks are scanned (and from block
/// facts where a block lies inside one set of windows), checked against counts worked out
/// from the pushed entries themselves.
@Suite struct WindowCountsTests {
    static let s = Int64(1_000_000_000)
    static let base: Int64 = 1_704_067_200 * 1_000_000_000

    struct Entry {
        var labels: Labels
        var ts: Int64
        var line: String
    }

    /// Three streams over ~40 minutes: one plain, one with every 5th line carrying structured
    /// metadata, one sparse; lines of varying length, a tenth containing "err".
    static func entries() -> [Entry] {
        var out: [Entry] = []
        for i in 0..<4000 {
            let ts = base + Int64(i) * 600_000_000
            out.append(Entry(labels: Labels(["app": "plain"]), ts: ts, line: "req \(i) " + (i % 10 == 0 ? "err " : "") + String(repeating: "x", count: i % 37)))
        }
        for i in 0..<2000 {
            let ts = base + Int64(i) * 1_200_000_000 + 7
            out.append(Entry(labels: Labels(["app": "meta"]), ts: ts, line: "m \(i)" + (i % 3 == 0 ? " err" : "")))
        }
        for i in 0..<30 {
            out.append(Entry(labels: Labels(["app": "sparse", "zone": "z\(i % 2)"]), ts: base + Int64(i) * 77 * s, line: "sparse \(i) err"))
        }
        return out
    }

    static func metadata(_ e: Entry, _ i: Int) -> Labels {
        e.labels["app"] == "meta" && i % 5 == 0 ? Labels(["trace": "t\(i % 2)"]) : Labels()
    }

    /// A store holding the entries: most in stored chunks, the newest in heads.
    static func store(_ dir: String) async throws -> LogStore {
        let store = try LogStore.open(LogStoreConfig(directory: dir, fsync: .never, blockSize: 4096, chunkTargetSize: 16_384))
        let all = entries()
        var byStream: [Labels: [(Int, Entry)]] = [:]
        for (i, e) in all.enumerated() { byStream[e.labels, default: []].append((i, e)) }
        for (labels, list) in byStream {
            let cut = list.count * 4 / 5
            for part in [list[..<cut], list[cut...]] {
                let batch = StreamBatch(labels: labels, entries: part.map { i, e in
                    LogEntry(timestamp: e.ts, line: e.line, metadata: metadata(e, i)) })
                _ = try await store.append([batch])
                if part.startIndex == 0 { await store.flush() }
            }
        }
        return store
    }

    /// The expected value of `op` per series per step, from the entries.
    static func expected(_ op: String, filter: String?, groupBy: String?, steps: [Int64], range: Int64, offset: Int64,
                         app: String?) -> [String: [Double?]] {
        var out: [String: [Double?]] = [:]
        for (labels, values) in expectedSeries(op, filter: filter, groupBy: groupBy, steps: steps, range: range, offset: offset, app: app) {
            out[labels.description] = values
        }
        return out
    }

    static func expectedSeries(_ op: String, filter: String?, groupBy: String?, steps: [Int64], range: Int64, offset: Int64,
                               app: String?) -> [Labels: [Double?]] {
        var counts: [Labels: [(lines: Int, bytes: Int)]] = [:]
        for (i, e) in entries().enumerated() {
            if let app, e.labels["app"] != app { continue }
            if let filter, !e.line.contains(filter) { continue }
            var labels = e.labels
            for l in metadata(e, i) { labels = labels.setting(l.name, to: l.value) }
            if let groupBy { labels = Labels(labels[groupBy].map { [groupBy: $0] } ?? [:]) }
            if counts[labels] == nil { counts[labels] = Array(repeating: (0, 0), count: steps.count) }
            for (k, t) in steps.enumerated() where e.ts > t - offset - range && e.ts <= t - offset {
                counts[labels]![k].lines += 1
                counts[labels]![k].bytes += e.line.utf8.count
            }
        }
        let seconds = Double(range) / 1e9
        return counts.mapValues { perStep in
            perStep.map { c -> Double? in
                guard c.lines > 0 else { return nil }
                switch op {
                case "count_over_time": return Double(c.lines)
                case "rate": return Double(c.lines) / seconds
                case "bytes_over_time": return Double(c.bytes)
                default: return Double(c.bytes) / seconds
                }
            }
        }.filter { $0.value.contains { $0 != nil } }
    }

    @Test func rangeQueriesMatchCountsFromTheEntries() async throws {
        let dir = NSTemporaryDirectory() + "window-counts-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try await Self.store(dir)
        let engine = LogQLEngine(store: store)
        let start = Self.base - 60 * Self.s, end = Self.base + 45 * 60 * Self.s
        for op in ["count_over_time", "rate", "bytes_over_time", "bytes_rate"] {
            for filter in [nil, "err"] as [String?] {
                for (range, step, offset) in [(Int64(300), Int64(300), Int64(0)), (600, 60, 0), (60, 420, 120), (37, 11, 0)] {
                    for groupBy in [nil, "app"] as [String?] {
                        let selector = "{app=~\".+\"}" + (filter.map { " |= \"\($0)\"" } ?? "")
                        let inner = "\(op)(\(selector) [\(range)s]\(offset > 0 ? " offset \(offset)s" : ""))"
                        let q = groupBy.map { "sum by (\($0)) (\(inner))" } ?? inner
                        let r = try await engine.queryRange(q, tenant: "fake", start: start, end: end, step: step * Self.s)
                        guard case .matrix(let m) = r.data else { Issue.record("not a matrix: \(q)"); continue }
                        var steps: [Int64] = []
                        var t = start
                        while t <= end { steps.append(t); t += step * Self.s }
                        let want = Self.expected(op, filter: filter, groupBy: groupBy, steps: steps, range: range * Self.s,
                                                 offset: offset * Self.s, app: nil)
                        var got: [String: [Double?]] = [:]
                        for series in m {
                            var values = [Double?](repeating: nil, count: steps.count)
                            for p in series.points { if let k = steps.firstIndex(of: p.timestamp) { values[k] = p.value } }
                            got[series.labels.description] = values
                        }
                        #expect(got.keys.sorted() == want.keys.sorted(), "\(q)")
                        // Rates summed over a group's series may differ from the group's total
                        // over the range in the last bit; counts and bytes are exact.
                        func same(_ a: Double?, _ b: Double?) -> Bool {
                            guard let a, let b else { return a == nil && b == nil }
                            return a == b || abs(a - b) <= 1e-12 * max(abs(a), abs(b))
                        }
                        for (k, v) in want where !(got[k].map { g in g.indices.allSatisfy { same(g[$0], v[$0]) } } ?? false) {
                            let bad = v.indices.first { !same(got[k]?[$0], v[$0]) } ?? 0
                            Issue.record("\(q) \(k) step \(bad): got \(String(describing: got[k]?[bad])), want \(String(describing: v[bad]))")
                            break
                        }
                    }
                }
            }
        }
        try await store.close()
    }

    @Test func countsWithoutFilterComeFromBlockFactsWithoutDecompressing() async throws {
        let dir = NSTemporaryDirectory() + "window-counts-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try await Self.store(dir)
        let engine = LogQLEngine(store: store)
        let at = Self.base + 3600 * Self.s
        let stored = store.streamBlocks(tenant: "fake", matchers: [try LabelMatcher(name: "app", type: .equal, value: "plain")],
                                        from: 0, through: .max).flatMap(\.blocks)
        #expect(stored.filter { !$0.isHead }.count > 10)
        for (op, want) in [("count_over_time", 4000.0), ("bytes_over_time", Double(Self.entries().filter { $0.labels["app"] == "plain" }.reduce(0) { $0 + $1.line.utf8.count }))] {
            let r = try await engine.queryInstant("sum(\(op)({app=\"plain\"}[2h]))", tenant: "fake", time: at)
            guard case .vector(let v) = r.data else { Issue.record("not a vector"); continue }
            #expect(v.first?.value == want, "\(op)")
            #expect(r.stats.chunksDecompressed == 0, "\(op)")
            #expect(r.stats.blocksRead == 0, "\(op)")
        }
        // With a filter, or over blocks with structured metadata, blocks are read.
        let filtered = try await engine.queryInstant("sum(count_over_time({app=\"plain\"} |= \"err\" [2h]))", tenant: "fake", time: at)
        #expect(filtered.stats.chunksDecompressed > 0)
        let meta = try await engine.queryInstant("count_over_time({app=\"meta\"}[2h])", tenant: "fake", time: at)
        guard case .vector(let mv) = meta.data else { Issue.record("not a vector"); return }
        #expect(mv.map(\.labels.description).sorted() == ["{app=\"meta\"}", "{app=\"meta\", trace=\"t0\"}", "{app=\"meta\", trace=\"t1\"}"].sorted())
        #expect(mv.reduce(0) { $0 + $1.value } == 2000)
        try await store.close()
    }
}

extension WindowCountsTests {
    @Test func aStreamPartlyAnsweredFromFactsIsOneSeries() async throws {
        let dir = NSTemporaryDirectory() + "window-counts-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try await Self.store(dir)
        let engine = LogQLEngine(store: store)
        // The window starts inside the stream's blocks: the first is read, the rest counted.
        let at = Self.base + 1800 * Self.s
        let r = try await engine.queryInstant("count_over_time({app=\"plain\"}[20m])", tenant: "fake", time: at)
        guard case .vector(let v) = r.data else { Issue.record("not a vector"); return }
        #expect(v.count == 1)
        #expect(v.first?.value == 2000)
        let blocks = store.streamBlocks(tenant: "fake", matchers: [try LabelMatcher(name: "app", type: .equal, value: "plain")],
                                        from: at - 1200 * Self.s, through: at).flatMap(\.blocks)
        #expect(r.stats.blocksRead > 0 && r.stats.blocksRead < blocks.count - 1, "\(r.stats.blocksRead) of \(blocks.count)")
        // Streams after it are counted whole; it must still come out as one series.
        let all = try await engine.queryInstant("count_over_time({app=~\"plain|sparse\"}[20m])", tenant: "fake", time: at)
        guard case .vector(let av) = all.data else { Issue.record("not a vector"); return }
        #expect(av.map { "\($0.labels)=\($0.value)" }.sorted()
                == ["{app=\"plain\"}=2000.0", "{app=\"sparse\", zone=\"z0\"}=8.0", "{app=\"sparse\", zone=\"z1\"}=8.0"])
        for (q, want) in [("count", 3.0), ("sum", 2016.0)] {
            let c = try await engine.queryInstant("\(q)(count_over_time({app=~\"plain|sparse\"}[20m]))", tenant: "fake", time: at)
            guard case .vector(let cv) = c.data else { Issue.record("not a vector"); return }
            #expect(cv.map(\.value) == [want], "\(q)")
        }
        try await store.close()
    }
}

extension WindowCountsTests {
    /// `sum`, `count`, `avg`, `min` and `max` folded as streams are counted, against the same
    /// reductions applied to the per-series values worked out from the entries.
    @Test func aggregationsFoldedPerStreamMatchTheEntries() async throws {
        let dir = NSTemporaryDirectory() + "window-counts-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try await Self.store(dir)
        let engine = LogQLEngine(store: store)
        let start = Self.base - 60 * Self.s, end = Self.base + 45 * 60 * Self.s
        var steps: [Int64] = []
        var t = start
        while t <= end { steps.append(t); t += 240 * Self.s }
        func same(_ a: Double?, _ b: Double?) -> Bool {
            guard let a, let b else { return a == nil && b == nil }
            return a == b || abs(a - b) <= 1e-12 * max(abs(a), abs(b))
        }
        for rangeOp in ["count_over_time", "rate", "bytes_over_time"] {
            for filter in [nil, "err"] as [String?] {
                for selector in ["{app=~\".+\"}", "{app=~\"plain|sparse\"}"] {
                    let series = Self.expectedSeries(rangeOp, filter: filter, groupBy: nil, steps: steps, range: 600 * Self.s,
                                                     offset: 0, app: nil).filter { l, _ in selector.contains("plain|sparse") ? l["app"] != "meta" : true }
                    for agg in ["sum", "count", "avg", "min", "max"] {
                        for grouping in ["", " by (app)", " without (zone)"] {
                            let q = "\(agg)\(grouping) (\(rangeOp)(\(selector)\(filter.map { " |= \"\($0)\"" } ?? "") [10m]))"
                            let r = try await engine.queryRange(q, tenant: "fake", start: start, end: end, step: 240 * Self.s)
                            guard case .matrix(let m) = r.data else { Issue.record("not a matrix: \(q)"); continue }
                            var want: [String: [Double?]] = [:]
                            var members: [String: [[Double?]]] = [:]
                            for (labels, values) in series {
                                let key: Labels
                                switch grouping {
                                case "": key = Labels()
                                case " by (app)": key = Labels(labels["app"].map { ["app": $0] } ?? [:])
                                default: key = labels.removing(["zone"])
                                }
                                members[key.description, default: []].append(values)
                            }
                            for (key, list) in members {
                                want[key] = steps.indices.map { k -> Double? in
                                    let vs = list.compactMap { $0[k] }
                                    guard !vs.isEmpty else { return nil }
                                    switch agg {
                                    case "sum": return vs.reduce(0, +)
                                    case "count": return Double(vs.count)
                                    case "avg": return vs.reduce(0, +) / Double(vs.count)
                                    case "min": return vs.min()
                                    default: return vs.max()
                                    }
                                }
                            }
                            var got: [String: [Double?]] = [:]
                            for s in m {
                                var values = [Double?](repeating: nil, count: steps.count)
                                for p in s.points { if let k = steps.firstIndex(of: p.timestamp) { values[k] = p.value } }
                                got[s.labels.description] = values
                            }
                            #expect(got.keys.sorted() == want.keys.sorted(), "\(q)")
                            for (k, v) in want where !(got[k].map { g in g.indices.allSatisfy { same(g[$0], v[$0]) } } ?? false) {
                                Issue.record("\(q) \(k): got \(String(describing: got[k])), want \(v)")
                            }
                        }
                    }
                }
            }
        }
        try await store.close()
    }
}

extension WindowCountsTests {
    /// Stored chunks wholly inside the windows are counted from their index entries: no
    /// chunk meta is read, no block decoded. Chunks with structured metadata are read.
    @Test func storedChunksAreCountedFromTheIndex() async throws {
        let dir = NSTemporaryDirectory() + "window-counts-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try await Self.store(dir)
        await store.flush()
        let engine = LogQLEngine(store: store)
        let at = Self.base + 3600 * Self.s
        let r = try await engine.queryInstant("sum(count_over_time({app=\"plain\"}[2h]))", tenant: "fake", time: at)
        guard case .vector(let v) = r.data else { Issue.record("not a vector"); return }
        #expect(v.map(\.value) == [4000])
        #expect(r.stats.chunksAnsweredFromIndex > 1)
        #expect(r.stats.blocksRead == 0)
        let bytes = try await engine.queryInstant("sum by (app) (bytes_over_time({app=~\"plain|meta\"}[2h]))", tenant: "fake", time: at)
        guard case .vector(let bv) = bytes.data else { Issue.record("not a vector"); return }
        let entries = Self.entries()
        func lineBytes(_ app: String) -> Double { Double(entries.filter { $0.labels["app"] == app }.reduce(0) { $0 + $1.line.utf8.count }) }
        #expect(bv.map { "\($0.labels)=\($0.value)" }.sorted() == ["{app=\"meta\"}=\(lineBytes("meta"))", "{app=\"plain\"}=\(lineBytes("plain"))"])
        #expect(bytes.stats.blocksRead > 0)
        // A window that cuts through the chunks reads the blocks it must.
        let cut = try await engine.queryInstant("count_over_time({app=\"plain\"}[20m])", tenant: "fake", time: Self.base + 1800 * Self.s)
        guard case .vector(let cv) = cut.data else { Issue.record("not a vector"); return }
        #expect(cv.map(\.value) == [2000])
        try await store.close()
    }
}

extension WindowCountsTests {
    /// Stream a's first block is counted from its facts and its last read, with stream b
    /// counted in between: a's counts must still come out as one series.
    @Test func aStreamCountedAndReadAroundAnotherIsOneSeries() async throws {
        func batch(_ app: String, _ n: Int) -> StreamBatch {
            StreamBatch(labels: Labels(["app": app]), entries: (0..<n).map { i in
                LogEntry(timestamp: Self.base + Int64(i) * Self.s, line: "\(app) \(i)") })
        }
        let reader = MemoryLogReader([batch("a", 20), batch("b", 5)], blockEntries: 10)
        let engine = LogQLEngine(reader: reader)
        // (base - 1 s, base + 15 s]: a's first block inside, its second cut; b wholly inside.
        let at = Self.base + 15 * Self.s
        let r = try await engine.queryInstant("count_over_time({app=~\"a|b\"}[16s])", tenant: "fake", time: at)
        guard case .vector(let v) = r.data else { Issue.record("not a vector"); return }
        #expect(v.map { "\($0.labels)=\($0.value)" }.sorted() == ["{app=\"a\"}=16.0", "{app=\"b\"}=5.0"])
    }
}
