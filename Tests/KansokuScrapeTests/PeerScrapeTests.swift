import Foundation
import KansokuCore
import KansokuMetricStore
import KansokuTestSupport
import Testing
@testable import KansokuScrape

/// The scraper against real exporters on loopback: Prometheus's own /metrics (Go client) and
/// a Python prometheus_client exporter. Skipped when a peer is not installed (a failure under CI=true).
@Suite(.serialized) struct PeerScrapeTests {
    func latest(_ store: MetricStore, _ name: String, _ extra: [LabelMatcher] = []) throws -> [Labels: Double] {
        let series = store.select(matchers: [try LabelMatcher(name: "__name__", type: .equal, value: name)] + extra,
                                  from: .min, through: .max)
        var out: [Labels: Double] = [:]
        for s in series { if let last = s.samples.last { out[s.labels] = last.v } }
        return out
    }

    @Test(.requires(.prometheus))
    func scrapesRealPrometheus() async throws {
        let prom = try #require(try PeerProcess.prometheus())
        defer { prom.stop() }
        try await prom.waitReady(path: "/-/ready")
        let tmp = try TemporaryStore.open()
        let manager = ScrapeManager(store: tmp.store)
        try await manager.apply(MetricsScrapeConfig(scrapeInterval: PromDuration(milliseconds: 3_600_000), targets: [
            ScrapeTargetConfig(job: "prometheus", targets: ["127.0.0.1:\(prom.port)"], labels: ["env": "test"]),
        ]))
        await manager.scrapeAllOnce()
        let health = manager.health.all()
        #expect(health.first?.state == .up, "\(health)")
        let up = try latest(tmp.store, "up")
        let instance = "127.0.0.1:\(prom.port)"
        #expect(up[Labels(["__name__": "up", "job": "prometheus", "instance": instance, "env": "test"])] == 1)
        let scraped = try latest(tmp.store, "scrape_samples_scraped").values.first ?? 0
        #expect(scraped > 100, "Prometheus exposes hundreds of samples, got \(scraped)")
        let build = try latest(tmp.store, "prometheus_build_info")
        #expect(build.keys.first?["version"]?.hasPrefix("2.") == true, "\(build)")
        // Histogram buckets of a typed family are stored with canonical le values.
        let buckets = try latest(tmp.store, "prometheus_http_request_duration_seconds_bucket")
        #expect(buckets.keys.contains { $0["le"] == "+Inf" })
        #expect(!buckets.keys.contains { $0["le"] == "1" }, "le=\"1\" is stored as \"1.0\"")
        await manager.shutdown()
        try await tmp.store.close()
    }

    @Test(.requires(.pythonPrometheusClient))
    func scrapesPythonClientAndMarksStaleWhenItStops() async throws {
        let exporter = try #require(try PeerProcess.pythonExporter())
        defer { exporter.stop() }
        try await exporter.waitReady(path: "/metrics")
        let tmp = try TemporaryStore.open()
        let manager = ScrapeManager(store: tmp.store)
        try await manager.apply(MetricsScrapeConfig(scrapeInterval: PromDuration(milliseconds: 3_600_000), targets: [
            ScrapeTargetConfig(job: "python", targets: ["127.0.0.1:\(exporter.port)"], timeout: PromDuration(milliseconds: 2000)),
        ]))
        await manager.scrapeAllOnce()
        #expect(manager.health.all().first?.state == .up, "\(manager.health.all())")
        let requests = try latest(tmp.store, "demo_requests_total")
        #expect(Set(requests.values) == [7, 2], "\(requests)")
        #expect(try latest(tmp.store, "demo_temperature_celsius").values.first == 42.5)
        let buckets = try latest(tmp.store, "demo_latency_seconds_bucket")
        #expect(Dictionary(uniqueKeysWithValues: buckets.map { ($0.key["le"]!, $0.value) })
                == ["0.1": 1, "1.0": 2, "10.0": 3, "+Inf": 4])
        #expect(try latest(tmp.store, "demo_build_info").keys.first?["version"] == "1.2.3")
        #expect(try latest(tmp.store, "demo_state").first { $0.key["demo_state"] == "running" }?.value == 1)

        // The exporter goes away: up drops to 0 and its series get stale markers.
        exporter.stop()
        try await Task.sleep(for: .milliseconds(5))
        await manager.scrapeAllOnce()
        let health = manager.health.all().first
        #expect(health?.state == .down)
        #expect(health?.lastError?.contains("request failed") == true, "\(String(describing: health?.lastError))")
        #expect(try latest(tmp.store, "up").values.first == 0)
        let temperature = try latest(tmp.store, "demo_temperature_celsius").values.first
        #expect(temperature.map(StaleNaN.isStale) == true)
        await manager.shutdown()
        try await tmp.store.close()
    }
}
