import Foundation
import Testing
import KansokuCore
import KansokuMetricStore
@testable import KansokuPromQL

@Suite struct EngineTests {
    static func store() -> InMemoryQueryable {
        let s = InMemoryQueryable()
        for i in 0...20 {
            s.add(Labels(["__name__": "req_total", "job": "api", "code": "200"]), t: Int64(i) * 15_000, v: Double(i) * 30)
            s.add(Labels(["__name__": "req_total", "job": "api", "code": "500"]), t: Int64(i) * 15_000, v: Double(i) * 3)
        }
        return s
    }

    @Test func rateAndAggregation() async throws {
        let engine = PromQLEngine(queryable: Self.store())
        let v = try await engine.instantQuery("sum by (job) (rate(req_total[1m]))", at: 300_000)
        guard case .vector(let samples) = v else { Issue.record("not a vector"); return }
        #expect(samples.count == 1)
        #expect(samples[0].labels == Labels(["job": "api"]))
        #expect(abs(samples[0].v - 2.2) < 1e-9)
    }

    @Test func errorRatio() async throws {
        let engine = PromQLEngine(queryable: Self.store())
        let q = "sum(rate(req_total{code=~\"5..\"}[5m])) / sum(rate(req_total[5m]))"
        guard case .vector(let s) = try await engine.instantQuery(q, at: 300_000) else { Issue.record("not a vector"); return }
        #expect(abs(s[0].v - 3.0 / 33.0) < 1e-9)
    }

    @Test func rangeQueryShape() async throws {
        let engine = PromQLEngine(queryable: Self.store())
        let v = try await engine.rangeQuery("req_total{code=\"500\"}", start: 0, end: 60_000, step: 30_000)
        guard case .matrix(let m) = v else { Issue.record("not a matrix"); return }
        #expect(m.count == 1)
        #expect(m[0].points == [PromQLPoint(t: 0, v: 0), PromQLPoint(t: 30_000, v: 6), PromQLPoint(t: 60_000, v: 12)])
    }

    @Test func stalenessEndsSeries() async throws {
        let s = InMemoryQueryable()
        let l = Labels(["__name__": "up"])
        s.add(l, t: 0, v: 1)
        s.add(l, t: 15_000, v: PromQLStaleNaN.value)
        let engine = PromQLEngine(queryable: s)
        guard case .vector(let a) = try await engine.instantQuery("up", at: 10_000),
              case .vector(let b) = try await engine.instantQuery("up", at: 20_000) else { Issue.record("types"); return }
        #expect(a.count == 1)
        #expect(b.isEmpty)
    }

    @Test func executionErrors() async {
        let s = InMemoryQueryable()
        s.add(Labels(["__name__": "a", "x": "1"]), t: 0, v: 1)
        s.add(Labels(["__name__": "b", "x": "1"]), t: 0, v: 1)
        let engine = PromQLEngine(queryable: s)
        await #expect(throws: PromQLError.execution("vector cannot contain metrics with the same labelset")) {
            _ = try await engine.instantQuery("abs({x=\"1\"})", at: 0)
        }
        await #expect(throws: PromQLError.self) {
            _ = try await engine.rangeQuery("a[5m]", start: 0, end: 10, step: 1)
        }
    }

    @Test func scalarsAndStrings() async throws {
        let engine = PromQLEngine(queryable: InMemoryQueryable())
        #expect(try await engine.instantQuery("1 + 2 * 3", at: 5000) == .scalar(t: 5000, v: 7))
        #expect(try await engine.instantQuery("\"hi\"", at: 5000) == .string(t: 5000, s: "hi"))
        #expect(try await engine.instantQuery("time()", at: 5000) == .scalar(t: 5000, v: 5))
    }

    @Test func metricStoreIsQueryable() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kansoku-promql-\(UInt64.random(in: 0...UInt64.max))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try MetricStore.open(MetricStoreConfig(directory: dir))
        var batch: [(labels: Labels, t: Int64, v: Double)] = []
        for i in 0...40 {
            batch.append((Labels(["__name__": "http_requests_total", "job": "web"]), Int64(i) * 15_000, Double(i) * 10))
        }
        _ = try await store.append(batch)
        let engine = PromQLEngine(queryable: store)
        guard case .vector(let v) = try await engine.instantQuery("rate(http_requests_total[5m])", at: 600_000) else {
            Issue.record("not a vector")
            return
        }
        #expect(v.count == 1)
        #expect(abs(v[0].v - 10.0 / 15.0) < 1e-9)
        try await store.close()
    }
}
