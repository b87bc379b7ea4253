import Foundation
import KansokuCore
import KansokuMetricStore
import Testing
@testable import KansokuRemoteWrite

/// A queue's series map follows the store's live series: series the store dropped at a WAL
/// checkpoint are forgotten, however long the WAL's history.
@Suite struct SeriesStateTests {
    static let quarter: Int64 = 900_000

    func append(_ store: MetricStore, _ names: [String], at t: Int64) async throws {
        _ = try await store.append(names.map { (labels: Labels(["__name__": $0]), t: t, v: 1) })
    }

    func drain(_ tail: inout WALTail, _ state: inout SeriesState, _ metrics: RemoteWriteMetrics) throws -> Int {
        var pending: [WALSample] = []
        while try tail.read(maxBytes: 1 << 20, { record, after in
            state.take(record, segment: after.segment, into: &pending, metrics: metrics)
        }) {}
        return pending.count
    }

    @Test func forgetsSeriesDroppedAtACheckpoint() async throws {
        let dir = NSTemporaryDirectory() + "kansoku-series-state-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try MetricStore.open(MetricStoreConfig(directory: dir))
        let gone = (0..<1000).map { "gone_\($0)" }, kept = (0..<10).map { "kept_\($0)" }
        let t0 = (Int64(Date().timeIntervalSince1970 * 1000) - 12 * 3_600_000) / 7_200_000 * 7_200_000
        let metrics = RemoteWriteMetrics(queue: "test", url: "http://test", registry: MetricsRegistry())
        var tail = WALTail(metricsDirectory: dir)
        var state = SeriesState(relabel: [])
        try tail.start(from: WALPosition(segment: 0, offset: 0)) { state.prime($0) }
        state.primed(through: tail.position.segment)

        // All series in the first hour, then only `kept` for seven more hours.
        for k in 0..<4 { try await append(store, gone + kept, at: t0 + Int64(k) * Self.quarter) }
        #expect(try drain(&tail, &state, metrics) == 4 * 1010)
        #expect(state.series.count == 1010)
        #expect(try tail.checkpointSeries(newerThan: -1) == nil)

        // The store persists its first hours and checkpoints the WAL without `gone`.
        for k in 4..<32 { try await append(store, kept, at: t0 + Int64(k) * Self.quarter) }
        try await store.compact()
        try await append(store, kept, at: t0 + 32 * Self.quarter)
        _ = try drain(&tail, &state, metrics)
        #expect(state.series.count == 1010, "nothing is forgotten before a checkpoint is applied")
        let cp = try #require(try tail.checkpointSeries(newerThan: -1))
        #expect(cp.index < tail.position.segment)
        #expect(cp.refs.count == 10)
        #expect(state.forget(droppedBy: cp.index, live: cp.refs) == 1000)
        #expect(state.series.count == 10)
        #expect(Set(state.series.keys.compactMap { state.labels($0)?["__name__"] }) == Set(kept))
        #expect(state.forget(droppedBy: cp.index, live: []) == 0, "a checkpoint is applied once")

        try await store.close()
    }
}
