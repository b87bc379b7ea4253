import Foundation
import KansokuCore
import KansokuMetricStore
import Testing
@testable import KansokuScrape

@Suite struct ScrapeCacheTests {
    let target = TargetLabels(labels: Labels(["job": "app", "instance": "127.0.0.1:8080", "env": "prod"]), honorLabels: false)

    func values(_ batch: ScrapeBatch) -> [String: Double] {
        Dictionary(batch.samples.map { ($0.labels.description, $0.v) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func targetLabelsAndExportedConflicts() throws {
        var cache = ScrapeCache(target: target)
        let body = "m{job=\"other\",instance=\"x\",exported_job=\"taken\",a=\"1\"} 1\n"
        let batch = try cache.ingest(Array(body.utf8), format: .prometheusText, time: 1000)
        let l = batch.samples[0].labels
        #expect(l["job"] == "app")
        #expect(l["instance"] == "127.0.0.1:8080")
        #expect(l["env"] == "prod")
        #expect(l["exported_instance"] == "x")
        #expect(l["exported_job"] == "taken")
        #expect(l["exported_exported_job"] == "other")
        #expect(l["a"] == "1")
    }

    @Test func honorLabelsKeepsExposedValues() throws {
        var cache = ScrapeCache(target: TargetLabels(labels: target.labels, honorLabels: true))
        let batch = try cache.ingest(Array("m{job=\"fed\"} 1\n".utf8), format: .prometheusText, time: 1000)
        let l = batch.samples[0].labels
        #expect(l["job"] == "fed")
        #expect(l["instance"] == "127.0.0.1:8080")
        #expect(l["exported_job"] == nil)
    }

    @Test func staleMarkersForVanishedSeries() throws {
        var cache = ScrapeCache(target: target)
        let first = try cache.ingest(Array("a 1\nb 2\nc 3 5000\n".utf8), format: .prometheusText, time: 1000)
        #expect(first.seriesAdded == 3)
        #expect(first.scraped == 3)
        #expect(first.samples.map(\.t) == [1000, 1000, 5000])
        let second = try cache.ingest(Array("a 4\n".utf8), format: .prometheusText, time: 2000)
        #expect(second.seriesAdded == 0)
        #expect(second.staleMarkers == 1, "c had a timestamp and is not marked stale")
        let stale = second.samples.filter { StaleNaN.isStale($0.v) }
        #expect(stale.count == 1)
        #expect(stale[0].labels["__name__"] == "b")
        #expect(stale[0].t == 2000)
        // A series that comes back is new again.
        let third = try cache.ingest(Array("a 5\nb 6\n".utf8), format: .prometheusText, time: 3000)
        #expect(third.seriesAdded == 1)
        #expect(third.staleMarkers == 0)
    }

    @Test func malformedBodyLeavesCacheAndFailureMarksAllStale() throws {
        var cache = ScrapeCache(target: target)
        _ = try cache.ingest(Array("a 1\nb 2\n".utf8), format: .prometheusText, time: 1000)
        #expect(throws: ExpositionError.self) {
            try cache.ingest(Array("a 1\nnew 1\nbroken{ 3\n".utf8), format: .prometheusText, time: 2000)
        }
        let stale = cache.markAllStale(time: 2000)
        #expect(Set(stale.map { $0.labels["__name__"]! }) == ["a", "b"])
        #expect(stale.allSatisfy { StaleNaN.isStale($0.v) && $0.t == 2000 })
        #expect(cache.markAllStale(time: 3000).isEmpty)
    }

    @Test func bucketLabelsAreNormalizedForTypedFamilies() throws {
        var cache = ScrapeCache(target: target)
        let body = "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n# TYPE s summary\ns{quantile=\"0\"} 1\nu{le=\"1\"} 1\n"
        let batch = try cache.ingest(Array(body.utf8), format: .prometheusText, time: 1)
        #expect(batch.samples[0].labels["le"] == "1.0")
        #expect(batch.samples[1].labels["le"] == "+Inf")
        #expect(batch.samples[4].labels["quantile"] == "0.0")
        #expect(batch.samples[5].labels["le"] == "1", "untyped series keep their spelling")
    }

    @Test func openMetricsBodies() throws {
        var cache = ScrapeCache(target: target)
        let body = "# TYPE c counter\nc_total 3 # {trace_id=\"x\"} 1\nc_created 1700000000.5\n# EOF\n"
        let batch = try cache.ingest(Array(body.utf8), format: .openMetrics, time: 9)
        #expect(batch.samples.map { $0.labels["__name__"]! } == ["c_total", "c_created"])
        #expect(batch.samples[0].v == 3)
    }
}

@Suite struct ScrapeConfigTests {
    @Test func decodesAndExpandsTargets() throws {
        let json = """
        {"scrape_interval": "30s", "targets": [
          {"job": "app", "targets": ["127.0.0.1:8080", "127.0.0.1:8081"], "metrics_path": "/m",
           "honor_labels": true, "labels": {"env": "prod"}, "timeout": "1m"},
          {"job_name": "node", "targets": ["localhost:9100"], "interval": 5}
        ]}
        """
        let config = try JSONDecoder().decode(MetricsScrapeConfig.self, from: Data(json.utf8))
        try config.validate()
        let targets = ScrapeTarget.targets(from: config)
        #expect(targets.count == 3)
        #expect(targets[0].url == "http://127.0.0.1:8080/m")
        #expect(targets[0].interval.milliseconds == 30_000)
        #expect(targets[0].timeout.milliseconds == 30_000, "timeout capped at the interval")
        #expect(targets[0].labels.labels == Labels(["job": "app", "instance": "127.0.0.1:8080", "env": "prod"]))
        #expect(targets[0].labels.honorLabels)
        #expect(targets[2].interval.milliseconds == 5000)
        #expect(targets[2].timeout.milliseconds == 5000)
        #expect(targets[2].url == "http://localhost:9100/metrics")
        let offset = targets[0].offset(interval: 30_000)
        #expect(offset >= 0 && offset < 30_000)
        #expect(offset == targets[0].offset(interval: 30_000))
    }

    @Test func rejectsBadConfigs() throws {
        func config(_ json: String) throws -> MetricsScrapeConfig {
            try JSONDecoder().decode(MetricsScrapeConfig.self, from: Data(json.utf8))
        }
        #expect(throws: ScrapeConfigError.self) { try config(#"{"targets":[{"job":"a","targets":["nohost"]}]}"#).validate() }
        #expect(throws: ScrapeConfigError.self) { try config(#"{"targets":[{"job":"a","targets":[]},{"job":"a","targets":[]}]}"#).validate() }
        #expect(throws: ScrapeConfigError.self) { try config(#"{"targets":[{"job":"a","targets":[],"scheme":"ftp"}]}"#).validate() }
        #expect(throws: ScrapeConfigError.self) { try config(#"{"targets":[{"job":"a","targets":[],"labels":{"__x":"y"}}]}"#).validate() }
        #expect(throws: DecodingError.self) { try config(#"{"scrape_interval":"soon"}"#) }
    }
}
