import KansokuCore
import Testing
@testable import KansokuMetricStore

@Suite struct HeadTests {
    @Test func appendAndSelect() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try openStore(dir)
        let a = labels(["__name__": "up", "job": "api", "instance": "a"])
        let b = labels(["__name__": "up", "job": "api", "instance": "b"])
        let c = labels(["__name__": "http_requests_total", "job": "web"])
        var batch: [(labels: Labels, t: Int64, v: Double)] = []
        for i in 0..<300 {
            let t = base + Int64(i) * 15_000
            batch.append((a, t, 1))
            batch.append((b, t, Double(i)))
            batch.append((c, t, Double(i * 10)))
        }
        let r = try await store.append(batch)
        #expect(r.appended == 900 && r.rejected == 0)

        let up = store.select(matchers: [eq("__name__", "up")], from: base, through: base + 10 * hour)
        #expect(up.map(\.labels) == [a, b])
        #expect(up[1].samples.count == 300)
        #expect(up[1].samples[299] == Sample(t: base + 299 * 15_000, v: 299))

        let window = store.select(matchers: [eq("instance", "b")], from: base + 15_000, through: base + 45_000)
        #expect(window.first?.samples.map(\.v) == [1, 2, 3])

        // Matchers that match the empty string select series lacking the label.
        let noInstance = store.select(matchers: [eq("__name__", "http_requests_total"), eq("instance", "")], from: base, through: base + hour)
        #expect(noInstance.map(\.labels) == [c])
        let notA = store.series(matchers: [matcher("instance", .notEqual, "a")], from: base, through: base + hour)
        #expect(notA == [c, b].sorted(by: labelsLess))
        let regex = store.series(matchers: [matcher("__name__", .regexMatch, "u.")], from: base, through: base + hour)
        #expect(regex == [a, b])
        let negRegex = store.series(matchers: [matcher("job", .regexNoMatch, "api|x")], from: base, through: base + hour)
        #expect(negRegex == [c])
        #expect(store.series(matchers: [eq("job", "nope")], from: base, through: base + hour).isEmpty)
        #expect(store.series(matchers: [eq("job", "api")], from: base + 5 * hour, through: base + 6 * hour).isEmpty)

        #expect(store.labelNames(from: base, through: base + hour) == ["__name__", "instance", "job"])
        #expect(store.labelValues(name: "job", from: base, through: base + hour) == ["api", "web"])
        #expect(store.labelValues(name: "instance", matchers: [eq("job", "api")], from: base, through: base + hour) == ["a", "b"])
        #expect(store.labelNames(matchers: [eq("job", "web")], from: base, through: base + hour) == ["__name__", "job"])

        let st = store.stats()
        #expect(st.headSeries == 3)
        #expect(st.samplesAppended == 900)
        #expect(st.headChunks >= 3 * 2)  // 300 samples at 15 s: chunks of at most 120
        #expect(st.walFsyncs >= 1)
        try await store.close()
    }

    @Test func outOfOrderAndDuplicatesRejected() async throws {
        let dir = TempDir()
        defer { dir.cleanup() }
        let store = try openStore(dir)
        let s = labels(["__name__": "x"])
        _ = try await store.append([(s, base + 2000, 1)])
        let r = try await store.append([(s, base + 1000, 5), (s, base + 2000, 2), (s, base + 2000, 1), (s, base + 3000, StaleNaN.value)])
        #expect(r.outOfOrder == 1)
        #expect(r.duplicate == 1)
        #expect(r.appended == 2)  // exact repeat accepted silently, plus the stale marker
        let got = store.select(matchers: [eq("__name__", "x")], from: base, through: base + 10_000)
        #expect(got.first?.samples.count == 2)
        #expect(got.first.map { StaleNaN.isStale($0.samples[1].v) } == true)
        #expect(store.stats().outOfOrderSamples == 1)
        try await store.close()
    }

    /// Strings of series that are gone leave the head's pool once it holds far more than the
    /// live series use; the live series' strings stay pooled.
    @Test func truncationPrunesTheStringPool() {
        let head = Head(chunkRange: 2 * hour)
        head.writer.withLock { w in
            for i in 0..<3000 {
                let (ref, _) = head.getOrCreate(labels(["__name__": "requests_total", "request_id": "request-\(i)-of-a-long-name"]), in: &w)
                head.stripe(ref).series.withLock { s in _ = s.slots[s.index(of: ref)!].append(t: base + Int64(i % 10), v: 1, chunkRange: 2 * hour) }
            }
            #expect(w.strings.count == 3000)
            let live = labels(["__name__": "requests_total", "request_id": "a-series-still-written-to"])
            let (ref, _) = head.getOrCreate(live, in: &w)
            head.stripe(ref).series.withLock { s in _ = s.slots[s.index(of: ref)!].append(t: base + 3 * hour, v: 1, chunkRange: 2 * hour) }
            #expect(head.truncate(before: base + 2 * hour, in: &w) == 3000)
            #expect(w.strings.count == 1)
            #expect(w.interned(live)["request_id"]! == "a-series-still-written-to")
        }
    }

    @Test func chunksAreCutAt120SamplesAndAtBlockBoundaries() {
        var s = MemSeries(ref: 1, labels: labels(["__name__": "x"]))
        let range = 2 * hour
        for i in 0..<480 { _ = s.append(t: base + Int64(i) * 15_000, v: Double(i), chunkRange: range) }
        // 2 h at 15 s = 480 samples: four chunks of 120.
        #expect(s.chunkCount == 4)
        #expect(s.chunks.allSatisfy { Int($0.bytes[1]) == 120 })
        _ = s.append(t: base + range + 1, v: 1, chunkRange: range)
        #expect(s.chunkCount == 5)
        #expect(s.open.map { _ in s.openMinT } == base + range + 1)
    }
}
