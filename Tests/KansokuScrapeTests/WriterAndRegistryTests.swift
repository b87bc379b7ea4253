import Foundation
import KansokuCore
import Testing
@testable import KansokuScrape
import KansokuTestSupport

@Suite struct WriterAndRegistryTests {
    func registry() -> MetricsRegistry {
        let r = MetricsRegistry()
        r.counter("kansoku_ingest_lines_total", help: "Lines ingested.\nPer tenant.", labelNames: ["tenant"]).labels("a\"b").inc(3)
        r.gauge("kansoku_head_series", help: "Series in the head.").set(42)
        let h = r.histogram("kansoku_wal_fsync_duration_seconds", help: "WAL fsync latency.",
                            buckets: HistogramFamily.latencyBuckets)
        for v in [0.0002, 0.003, 0.003, 2.0, 20.0] { h.observe(v) }
        return r
    }

    @Test func textFormat() throws {
        let text = String(decoding: TextExpositionWriter.write(registry().gather()), as: UTF8.self)
        #expect(text.contains("# HELP kansoku_ingest_lines_total Lines ingested.\\nPer tenant.\n# TYPE kansoku_ingest_lines_total counter\n"))
        #expect(text.contains("kansoku_ingest_lines_total{tenant=\"a\\\"b\"} 3\n"))
        #expect(text.contains("kansoku_head_series 42\n"))
        #expect(text.contains("kansoku_wal_fsync_duration_seconds_bucket{le=\"0.00025\"} 1\n"))
        #expect(text.contains("kansoku_wal_fsync_duration_seconds_bucket{le=\"0.005\"} 3\n"))
        #expect(text.contains("kansoku_wal_fsync_duration_seconds_bucket{le=\"10\"} 4\n"))
        #expect(text.contains("kansoku_wal_fsync_duration_seconds_bucket{le=\"+Inf\"} 5\n"))
        #expect(text.contains("kansoku_wal_fsync_duration_seconds_count 5\n"))
        // What we write, we read back.
        let parsed = try parseExposition(Array(text.utf8), format: .prometheusText)
        #expect(parsed.samples.count == 2 + 15 + 1 + 2)
        #expect(parsed.metadata["kansoku_ingest_lines_total"]?.help == "Lines ingested.\nPer tenant.")
    }

    @Test func openMetricsFormatPassesTheStrictParser() throws {
        let bytes = TextExpositionWriter.write(registry().gather(), format: .openMetrics)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("# TYPE kansoku_ingest_lines counter\n"))
        #expect(text.contains("kansoku_ingest_lines_total{tenant=\"a\\\"b\"} 3\n"))
        #expect(text.contains("le=\"10.0\""))
        #expect(text.hasSuffix("# EOF\n"))
        var strict = OpenMetricsParser(bytes, strict: true)
        _ = try strict.collect()
    }

    @Test func contentNegotiation() {
        #expect(ContentNegotiation.responseFormat(accept: nil) == .prometheusText)
        #expect(ContentNegotiation.responseFormat(accept: ContentNegotiation.acceptHeader) == .openMetrics)
        #expect(ContentNegotiation.responseFormat(accept: "text/plain;version=0.0.4;q=0.5,*/*;q=0.1") == .prometheusText)
        #expect(ContentNegotiation.format(contentType: "application/openmetrics-text; version=1.0.0; charset=utf-8") == .openMetrics)
        #expect(ContentNegotiation.format(contentType: "text/plain; version=0.0.4") == .prometheusText)
        #expect(ContentNegotiation.format(contentType: "application/json") == nil)
    }

    @Test func floatFormattingMatchesGo() {
        let cases: [(Double, String)] = [
            (1, "1"), (0.005, "0.005"), (2.5, "2.5"), (1e-5, "1e-05"), (123456789, "123456789"),
            (1.5e300, "1.5e+300"), (-0.25, "-0.25"), (1e21, "1e+21"), (.infinity, "+Inf"), (.nan, "NaN"),
            (0.1 + 0.2, "0.30000000000000004"), (1234.5678, "1234.5678"),
        ]
        for (v, s) in cases { #expect(FloatText.format(v) == s, "\(v)") }
    }

    @Test func concurrentIncrementsAreNotLost() async {
        let r = MetricsRegistry()
        let c = r.counter("x_total", help: "x")
        let h = r.histogram("y_seconds", help: "y", buckets: [1])
        await withTaskGroup(of: Void.self) { g in
            for _ in 0..<8 { g.addTask { for _ in 0..<1000 { c.inc(); h.observe(0.5) } } }
        }
        #expect(c.labels().value == 8000)
        let snap = r.gather().first { $0.name == "y_seconds" }!
        #expect(snap.samples.last!.value == 8000)
    }

    /// `promtool check metrics` (Debian's prometheus package) accepts what /metrics serves.
    @Test(.requires(.promtool))
    func promtoolAcceptsOurOutput() throws {
        let promtool = try #require(which("promtool"))
        let r = registry()
        r.collectMetricStore(try TemporaryStore.open().store)
        let bytes = r.exposition().body
        let (status, output) = try runCommand(promtool, ["check", "metrics"], input: Data(bytes))
        #expect(status == 0, "promtool check metrics: \(output)")
        #expect(output.isEmpty, "promtool lint findings: \(output)")
    }
}
