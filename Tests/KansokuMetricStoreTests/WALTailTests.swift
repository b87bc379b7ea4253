import KansokuCore
import Testing
@testable import KansokuMetricStore

/// The WAL follower that feeds remote write: it sees every acknowledged append once, in order,
/// across segment cuts and reopenings, and resumes exactly where it was told.
@Suite struct WALTailTests {
    func series(_ i: Int) -> Labels { labels(["__name__": "m", "i": String(i)]) }

    /// Reads everything from `tail`, resolving refs through the series records it passes.
    func drain(_ tail: inout WALTail, names: inout [UInt64: Labels]) throws -> [(Labels, Int64, Double)] {
        var out: [(Labels, Int64, Double)] = []
        while try tail.read(maxBytes: 512, { record, _ in
            switch record {
            case .series(let ss): for s in ss { names[s.ref] = s.labels }
            case .samples(let ss): for s in ss { out.append((names[s.ref]!, s.t, s.v)) }
            }
        }) {}
        return out
    }

    @Test func followsAppendsAcrossSegmentsAndReopens() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        var store = try openStore(dir)
        var tail = WALTail(metricsDirectory: dir.path)
        var names: [UInt64: Labels] = [:]
        try tail.start(from: WALPosition(segment: 0, offset: 0)) { _ in }
        var expected: [(Labels, Int64, Double)] = []
        for k in 0..<60 {
            let batch = (0..<50).map { (labels: series($0), t: base + Int64(k) * 1000, v: Double(k * 50 + $0) / 8) }
            _ = try await store.append(batch)
            expected += batch.map { ($0.labels, $0.t, $0.v) }
            if k == 30 {
                try await store.close()
                store = try openStore(dir)
            }
        }
        let got = try drain(&tail, names: &names)
        #expect(got.count == expected.count)
        #expect(zip(got, expected).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 && $0.2 == $1.2 })
        #expect(tail.position.segment >= 1 && tail.skippedSegments == 0)  // the reopen started segment 1

        // A second reader started at a saved position sees only what follows it, and learns
        // every series from the records before it.
        let middle = tail.position
        _ = try await store.append([(series(7), base + 100_000, 42)])
        var again = WALTail(metricsDirectory: dir.path)
        var primed: [UInt64: Labels] = [:]
        try again.start(from: middle) { if case .series(let ss) = $0 { for s in ss { primed[s.ref] = s.labels } } }
        let rest = try drain(&again, names: &primed)
        #expect(rest.count == 1 && rest.first?.0 == series(7) && rest.first?.2 == 42)
        try await store.close()
    }

    @Test func aNewReaderStartsAtTheEndAndALimitStopsIt() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try openStore(dir)
        _ = try await store.append([(series(1), base, 1)])
        var tail = WALTail(metricsDirectory: dir.path)
        var names: [UInt64: Labels] = [:]
        try tail.start(from: nil) { if case .series(let ss) = $0 { for s in ss { names[s.ref] = s.labels } } }
        #expect(try drain(&tail, names: &names).isEmpty)
        _ = try await store.append([(series(1), base + 1000, 2)])
        let limit = WALPosition(segment: tail.position.segment, offset: Int(try FileIO.fileSize(path: dir.path + "/wal/" + WAL.segmentName(tail.position.segment))))
        _ = try await store.append([(series(1), base + 2000, 3)])
        var seen: [Double] = []
        while try tail.read(maxBytes: 1 << 20, limit: limit, { r, _ in if case .samples(let ss) = r { seen += ss.map(\.v) } }) {}
        #expect(seen == [2])
        seen = []
        #expect(try drain(&tail, names: &names).map(\.2) == [3])
        try await store.close()
    }
}
