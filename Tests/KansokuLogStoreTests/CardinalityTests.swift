import Foundation
import KansokuCore
import Testing
@testable import KansokuLogStore

/// Many small streams: postings, label lookups from the index and the one-pass block listing,
/// each checked against the same answer worked out from the streams themselves.
@Suite struct CardinalityTests {
    @Test func postingListStaysSortedAndUniqueUnderRandomInserts() {
        var rng = SplitMix64(seed: 42)
        var list = PostingList()
        var oracle = Set<UInt64>()
        for i in 0..<50_000 {
            // Mostly new random ids, some repeats, some ascending runs.
            let id = i % 7 == 0 ? UInt64(i) : (i % 11 == 0 ? (oracle.first ?? 1) : rng.next() % 1_000_000_007)
            list.insert(id)
            oracle.insert(id)
            if i % 9973 == 0 { #expect(list.ids == oracle.sorted()) }
        }
        #expect(list.ids == oracle.sorted())
        #expect(PostingList(sorted: list.ids).ids == oracle.sorted())
    }

    /// The stream table answers as a dictionary would under random inserts, in-place
    /// changes, take-out-and-put-back and removals, and reuses freed slots.
    @Test func streamTableAgreesWithADictionary() {
        var rng = SplitMix64(seed: 7)
        var table = StreamTable()
        var oracle: [UInt64: Int64] = [:]
        func state(_ id: UInt64, _ t: Int64) -> StreamState {
            var s = StreamState(id: id, tenant: "t", labels: Labels(["id": "\(id)"]), chunk: OpenChunk(generation: 1, createdAt: 0))
            s.highestTime = t
            return s
        }
        for step in 0..<20_000 {
            let id = rng.next() % 3000
            switch rng.next() % 4 {
            case 0:
                table[id] = state(id, Int64(step))
                oracle[id] = Int64(step)
            case 1:
                table[id]?.highestTime = -Int64(step)
                if oracle[id] != nil { oracle[id] = -Int64(step) }
            case 2:
                if var s = table.removeValue(forKey: id) {
                    s.highestTime += 1
                    table[id] = s
                    oracle[id]! += 1
                } else {
                    #expect(oracle[id] == nil)
                }
            default:
                table[id] = nil
                oracle[id] = nil
            }
        }
        #expect(table.count == oracle.count)
        #expect(Set(table.keys) == Set(oracle.keys))
        for (id, t) in oracle { #expect(table[id]?.highestTime == t && table[id]?.id == id) }
        #expect(Array(table.values).count == oracle.count)
    }

    /// Streams `{job, zone, camera}` with 3 entries each, spread over two days (two periods),
    /// every 50th with an extra label.
    static func fill(_ store: LogStore, streams: Int) async throws -> [(labels: Labels, times: [Int64])] {
        var out: [(Labels, [Int64])] = []
        var batches: [StreamBatch] = []
        for i in 0..<streams {
            var pairs = ["job": "camera", "zone": "zone-\(i % 7)", "camera": "cam-\(i)"]
            if i % 50 == 0 { pairs["rare"] = "r\(i % 3)" }
            let l = labels(pairs)
            // Streams start across two days, in minutes apart.
            let t0 = baseTime + Int64(i % 2880) * 60 * second
            let times = [t0, t0 + second, t0 + 2 * second]
            batches.append(StreamBatch(labels: l, entries: times.map { LogEntry(timestamp: $0, line: "frame of \(i)") }))
            out.append((l, times))
            if batches.count == 500 {
                _ = try await store.append(batches)
                batches = []
            }
        }
        if !batches.isEmpty { _ = try await store.append(batches) }
        return out
    }

    @Test func labelValuesAndNamesFromTheIndexMatchTheStreams() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let store = try LogStore.open(LogStoreConfig(directory: dir, fsync: .never), logger: testLogger)
        let streams = try await Self.fill(store, streams: 3000)
        let t = LogStore.defaultTenant
        let day = 86_400 * second
        let ranges: [(Int64, Int64)] = [(0, .max), (baseTime, baseTime + day - 1), (baseTime + 600 * second, baseTime + 900 * second),
                                        (baseTime + day + 10 * second, baseTime + day + 20 * second), (0, baseTime - 1)]
        let selectors: [[LabelMatcher]] = [[], [eq("zone", "zone-3")], [try LabelMatcher(name: "camera", type: .regexMatch, value: "cam-1.*")],
                                           [eq("rare", "r1")], [try LabelMatcher(name: "rare", type: .notEqual, value: "r0")]]
        func check(_ store: LogStore) {
            for (from, through) in ranges {
                for m in selectors {
                    let present = streams.filter { s in m.matches(s.labels) && s.times.contains { $0 >= from && $0 <= through } }
                    for name in ["camera", "zone", "rare", "job", "missing"] {
                        let want = Set(present.compactMap { $0.labels[name] }).sorted()
                        #expect(store.labelValues(tenant: t, name: name, matchers: m, from: from, through: through) == want,
                                "\(name) \(m) \(from)...\(through)")
                    }
                }
                let names = Set(streams.filter { $0.times.contains { $0 >= from && $0 <= through } }.flatMap { $0.labels.map(\.name) }).sorted()
                #expect(store.labelNames(tenant: t, from: from, through: through) == names)
            }
        }
        check(store)
        try await store.close()
        // Reopened: the postings come from the index files.
        let reopened = try LogStore.open(LogStoreConfig(directory: dir, fsync: .never), logger: testLogger)
        check(reopened)
        try await reopened.close()
    }

    @Test func streamBlocksListsWhatBlocksListsPerStream() async throws {
        let dir = makeTempDirectory()
        defer { removeDirectory(dir) }
        let store = try LogStore.open(smallConfig(dir), logger: testLogger)
        _ = try await Self.fill(store, streams: 400)
        // Some streams with stored chunks and several blocks.
        for i in 0..<5 {
            let entries = (0..<400).map { LogEntry(timestamp: baseTime + Int64($0) * second, line: "busy \(i) line \($0) " + String(repeating: "x", count: 40)) }
            _ = try await store.append([StreamBatch(labels: labels(["job": "camera", "zone": "busy", "camera": "busy-\(i)"]), entries: entries)])
        }
        await store.flush()
        let t = LogStore.defaultTenant
        let m = [eq("job", "camera")]
        for (from, through) in [(Int64(0), Int64.max), (baseTime + 100 * second, baseTime + 200 * second)] {
            let one = store.streamBlocks(tenant: t, matchers: m, from: from, through: through)
            let each = store.streams(tenant: t, matchers: m, from: from, through: through)
            #expect(Set(one.map(\.stream)) == Set(each))
            #expect(one.count == each.count)
            for (s, blocks) in one {
                let want = store.blocks(tenant: t, stream: s.id, from: from, through: through)
                #expect(blocks.map { [$0.minTime, $0.maxTime, Int64($0.entryCount)] } == want.map { [$0.minTime, $0.maxTime, Int64($0.entryCount)] })
                #expect(blocks.allSatisfy { $0.withoutMetadata })
            }
        }
        try await store.close()
    }
}
