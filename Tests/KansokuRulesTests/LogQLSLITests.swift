import Foundation
import KansokuCore
import KansokuLogQL
import KansokuLogStore
import Logging
import Testing
@testable import KansokuRules
import KansokuTestSupport

/// Logs alone drive an SLO: an nginx access log in the log store, the LogQL SLI extension,
/// the real LogQL engine, page alerts and Sloth's series.
@Suite struct LogQLSLITests {
    static let spec = """
        version: "prometheus/v1"
        service: "streaming"
        slos:
          - name: "playback-availability"
            objective: 99.5
            sli:
              logql:
                error_query: sum(count_over_time({app="nginx"} | pattern `<_> - <_> [<_>] "<_> <_> <_>" <status> <_>` | status >= 500 [{{.window}}]))
                total_query: sum(count_over_time({app="nginx"} [{{.window}}]))
            alerting:
              name: PlaybackAvailability
              annotations:
                summary: "{{ $labels.sloth_slo }} fails {{ $value | humanizePercentage }}"
        """

    @Test func accessLogBacksAnAvailabilitySLO() async throws {
        let dir = TestPaths.makeTempDir("kansoku-rules-logql-sli")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try LogStore.open(LogStoreConfig(directory: dir.path), logger: Logger(label: "test"))
        let base: Int64 = 1_700_000_100_000 / 300_000 * 300_000  // ms
        let incident = base + 90 * 60_000
        var entries: [LogEntry] = []
        var t = base
        var i = 0
        while t < base + 120 * 60_000 {
            let failing = t >= incident && i % 3 == 0
            let line = "10.0.0.\(i % 250) - - [22/Nov/2026:01:02:03 +0000] \"GET /seg/\(i).ts HTTP/1.1\" \(failing ? 503 : 200) 1234 \"-\" \"player\""
            entries.append(LogEntry(timestamp: t * 1_000_000, line: Array(line.utf8)))
            t += 1000
            i += 1
        }
        _ = try await store.append([StreamBatch(labels: Labels(["app": "nginx", "service": "streaming"]), entries: entries)])

        let slo = try SLOSpecLoader.load(Self.spec, file: "s.yaml", options: {
            var o = SLOLoadOptions()
            o.queryValidator = RuleFiles.parserValidator
            return o
        }())[0].slos[0]
        let engine = KansokuRuleQueryEngine(promql: nil, logql: LogQLEngine(store: store))
        let writer = MemoryWriter()
        let evaluator = try SLOEvaluator(slos: [slo], windows: AlertWindowsCatalog(), engine: engine, writer: writer, interval: 30_000)
        await evaluator.warmStart(at: incident)
        var pageAt: Int64?
        var k: Int64 = 0
        while k <= 40 {
            let now = incident + k * 30_000
            let sent = await evaluator.evaluate(at: now)
            if pageAt == nil, sent.contains(where: { $0.labels["sloth_severity"] == "page" && $0.status == .firing }) { pageAt = k * 30_000 }
            k += 1
        }
        let s = await evaluator.status()[0]
        #expect(s.lastError == nil)
        // 20 minutes into the incident a third of the requests fail.
        #expect(s.values.ratios[.minutes(5)].map { abs($0 - 1.0 / 3) < 0.01 } == true)
        #expect(s.values.ratios[.hours(1)].map { abs($0 - 20.0 / 60 / 3) < 0.01 } == true)
        // Page: 14.4 × 0.5% over 1h and 5m needs (k/60)/3 > 0.072, k > 13 min; 6× over 6h and 30m
        // needs (k/3)/(90+k) > 0.03 (the log holds only 90 minutes before the incident), k > 8.9 min.
        #expect(pageAt.map { $0 >= 8 * 60_000 + 30_000 && $0 <= 9 * 60_000 + 30_000 } == true, "page at \(String(describing: pageAt))")
        let written = await writer.at(incident + 40 * 30_000, name: "slo:sli_error:ratio_rate5m")
        #expect(written.first?.labels["sloth_slo"] == "playback-availability")

        // An alert rule in LogQL over the same log.
        let groups = try RuleFileParser.parse("""
            groups:
              - name: nginx
                rules:
                  - alert: Nginx5xx
                    expr: sum(count_over_time({app="nginx"} |= "\\" 503 " [1m])) > 10
                    labels: {severity: page}
                    annotations: {summary: "{{ $value }} 503s a minute"}
            """, file: "a.yaml", validator: RuleFiles.parserValidator)
        #expect(groups[0].rules[0].language == .logql)
        let runner = try RuleGroupRunner(spec: groups[0], defaultInterval: 30_000, engine: engine, writer: writer)
        let sent = await runner.evaluate(at: incident + 10 * 60_000)
        #expect(sent.count == 1 && sent[0].annotations["summary"] == "20 503s a minute")
        let quiet = await runner.evaluate(at: incident + 35 * 60_000)
        #expect(quiet.first?.status == .resolved)
        try await store.close()
    }
}
