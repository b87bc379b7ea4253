import Foundation
import KansokuCore
import Testing
@testable import KansokuRules
import KansokuTestSupport

/// A writer keeping every sample in memory, readable as series.
actor MemoryWriter: RuleSampleWriter {
    var samples: [(labels: Labels, t: Int64, v: Double)] = []

    func write(_ s: [(labels: Labels, t: Int64, v: Double)]) async throws { samples += s }

    func read(matchers: [LabelMatcher], from: Int64, through: Int64) async throws -> [RuleSeries] {
        var by: [Labels: RuleSeries] = [:]
        for s in samples where s.t >= from && s.t <= through && matchers.allSatisfy({ $0.matches(s.labels) }) {
            by[s.labels, default: RuleSeries(labels: s.labels, timestamps: [], values: [])].timestamps.append(s.t)
            by[s.labels]!.values.append(s.v)
        }
        return Array(by.values)
    }

    func at(_ t: Int64, name: String) -> [(labels: Labels, v: Double)] {
        samples.filter { $0.t == t && $0.labels["__name__"] == name }.map { ($0.labels, $0.v) }
    }
}

/// An engine answering from a table the test sets: expression → samples.
final class ScriptedEngine: RuleQueryEngine, @unchecked Sendable {
    let lock = NSLock()
    var answers: [String: [RuleSample]] = [:]

    func set(_ expr: String, _ samples: [RuleSample]) { lock.withLock { answers[expr] = samples } }

    func instant(_ expr: String, language: QueryLanguage, at: Int64) async throws(RuleEvaluationError) -> [RuleSample] {
        guard let a = lock.withLock({ answers[expr] }) else { throw .query("unknown expression \(expr)") }
        return a
    }

    func range(_ expr: String, language: QueryLanguage, start: Int64, end: Int64, step: Int64) async throws(RuleEvaluationError) -> [RuleSeries] { [] }
}

@Suite struct RuleFileTests {
    @Test func parsesGroupsAndDetectsLanguage() throws {
        let text = """
            groups:
              - name: api
                interval: 15s
                labels: {team: video}
                rules:
                  - record: job:requests:rate5m
                    expr: sum by (job) (rate(http_requests_total[5m]))
                  - alert: OriginErrors
                    expr: sum(count_over_time({app="api"} |= "ERROR" [1m])) > 10
                    for: 30s
                    keep_firing_for: 2m
                    labels: {severity: page}
                    annotations: {summary: "{{ $value }} errors on {{ $labels.app }}"}
              - name: logs
                kansoku_language: logql
                rules:
                  - alert: Quiet
                    expr: sum(count_over_time({app="api"}[5m])) < 1
            """
        let groups = try RuleFileParser.parse(text, file: "r.yaml", validator: RuleFiles.parserValidator)
        #expect(groups.count == 2)
        #expect(groups[0].interval == PromDuration("15s"))
        #expect(groups[0].rules[0].language == .promql)
        #expect(groups[0].rules[1].language == .logql)
        #expect(groups[0].rules[1].forDuration == PromDuration("30s"))
        #expect(groups[0].rules[1].keepFiringFor == PromDuration("2m"))
        #expect(groups[1].rules[0].language == .logql)
    }

    @Test func collectsEveryErrorWithPositions() {
        let text = """
            groups:
              - name: g
                rules:
                  - record: "bad name"
                    expr: sum(rate(x[5m])
                  - alert: A
                    expr: up == 0
                    for: soon
                    annotations: {summary: "{{ $value "}
              - name: g
                rules: []
            """
        do {
            _ = try RuleFileParser.parse(text, file: "r.yaml", validator: RuleFiles.parserValidator)
            Issue.record("accepted")
        } catch {
            let d = error.description
            #expect(d.contains("r.yaml:4:17: invalid recording rule name"))
            #expect(d.contains("r.yaml:5:15: record \"bad name\": invalid promql expression"))
            #expect(d.contains("r.yaml:8:14: for must be a duration"))
            #expect(d.contains("annotation summary: template"))
            #expect(d.contains("group name \"g\" repeated"))
            #expect(error.issues.count == 5)
        }
    }

    @Test func languageDetection() {
        #expect(QueryLanguageDetector.detect(#"sum(rate(x{a="b"}[5m]))"#) == .promql)
        #expect(QueryLanguageDetector.detect(#"x{a!="b"} != 3"#) == .promql)
        #expect(QueryLanguageDetector.detect(#"count_over_time({app="a"} |= "x" [5m])"#) == .logql)
        #expect(QueryLanguageDetector.detect(#"count_over_time({app="a"} != "x" [5m])"#) == .logql)
        #expect(QueryLanguageDetector.detect(#"sum(count_over_time({app="a"} | json | status >= 500 [5m]))"#) == .logql)
        #expect(QueryLanguageDetector.detect(#"bytes_rate({app="a"}[1m])"#) == .logql)
    }
}

@Suite struct AlertStateMachineTests {
    @Test func pendingFiringResolvedAndRetention() throws {
        var m = try AlertStateMachine(name: "High", expr: "x > 1", forDuration: 120_000, keepFiringFor: 0,
                                      labels: ["severity": "page"], annotations: ["summary": "value {{ $value }}"])
        let s = AlertingSettings()
        let hot = [RuleSample(labels: Labels(["__name__": "x", "job": "a"]), value: 5)]
        var out = try m.evaluate(hot, at: 0, settings: s)
        #expect(m.active.values.first?.state == .pending)
        #expect(out.contains { $0.labels["__name__"] == "ALERTS" && $0.labels["alertstate"] == "pending" && $0.labels["job"] == "a" && $0.labels["alertname"] == "High" })
        #expect(out.contains { $0.labels["__name__"] == "ALERTS_FOR_STATE" && $0.v == 0 })
        #expect(m.alertsToSend(at: 0, interval: 60_000, settings: s).isEmpty)  // pending alerts are not sent
        _ = try m.evaluate(hot, at: 60_000, settings: s)
        #expect(m.active.values.first?.state == .pending)
        out = try m.evaluate(hot, at: 120_000, settings: s)
        #expect(m.active.values.first?.state == .firing)
        let sent = m.alertsToSend(at: 120_000, interval: 60_000, settings: s)
        #expect(sent.count == 1 && sent[0].status == .firing && sent[0].startsAt == 120_000 && sent[0].endsAt == 120_000 + 240_000)
        #expect(sent[0].annotations["summary"] == "value 5")
        #expect(sent[0].labels["severity"] == "page" && sent[0].labels["__name__"] == nil)
        #expect(m.alertsToSend(at: 150_000, interval: 60_000, settings: s).isEmpty)  // within the resend delay
        #expect(m.alertsToSend(at: 190_000, interval: 60_000, settings: s).count == 1)
        out = try m.evaluate([], at: 240_000, settings: s)
        #expect(m.active.values.first?.state == .inactive && out.isEmpty)
        let resolved = m.alertsToSend(at: 240_000, interval: 60_000, settings: s)
        #expect(resolved.count == 1 && resolved[0].status == .resolved && resolved[0].endsAt == 240_000)
        _ = try m.evaluate([], at: 240_000 + 15 * 60_000, settings: s)
        #expect(m.active.count == 1)  // kept for 15 minutes
        _ = try m.evaluate([], at: 240_000 + 15 * 60_000 + 1, settings: s)
        #expect(m.active.isEmpty)
    }

    @Test func pendingDisappearsAndKeepFiringFor() throws {
        var m = try AlertStateMachine(name: "A", expr: "x", forDuration: 0, keepFiringFor: 120_000, labels: [:], annotations: [:])
        let s = AlertingSettings()
        let hot = [RuleSample(labels: Labels(["k": "v"]), value: 1)]
        _ = try m.evaluate(hot, at: 0, settings: s)
        #expect(m.active.values.first?.state == .firing)  // for: 0 fires at once
        _ = try m.evaluate([], at: 60_000, settings: s)
        #expect(m.active.values.first?.state == .firing)
        _ = try m.evaluate([], at: 179_000, settings: s)
        #expect(m.active.values.first?.state == .firing)
        _ = try m.evaluate([], at: 180_000, settings: s)
        #expect(m.active.values.first?.state == .inactive)
        var p = try AlertStateMachine(name: "P", expr: "x", forDuration: 300_000, keepFiringFor: 0, labels: [:], annotations: [:])
        _ = try p.evaluate(hot, at: 0, settings: s)
        _ = try p.evaluate([], at: 60_000, settings: s)
        #expect(p.active.isEmpty)
    }

    @Test func limitClearsTheRule() throws {
        var m = try AlertStateMachine(name: "A", expr: "x", forDuration: 0, keepFiringFor: 0, labels: [:], annotations: [:])
        let many = (0..<3).map { RuleSample(labels: Labels(["i": "\($0)"]), value: 1) }
        #expect(throws: RuleEvaluationError.self) { try m.evaluate(many, at: 0, settings: AlertingSettings(), limit: 2) }
        #expect(m.active.isEmpty)
    }

    @Test func restoresForStateAfterRestart() throws {
        var m = try AlertStateMachine(name: "A", expr: "x", forDuration: 30 * 60_000, keepFiringFor: 0, labels: [:], annotations: [:])
        let s = AlertingSettings()
        let hot = [RuleSample(labels: Labels(["k": "v"]), value: 1)]
        // Before the restart the alert was pending from t=0 and last written at 20m; we come back at 25m.
        _ = try m.evaluate(hot, at: 25 * 60_000, settings: s)
        let prior = RuleSeries(labels: Labels(["__name__": "ALERTS_FOR_STATE", "alertname": "A", "k": "v"]),
                               timestamps: [10 * 60_000, 20 * 60_000], values: [0, 0])
        m.restore(from: [prior], at: 25 * 60_000, settings: s)
        // 20 minutes spent pending, 10 left: less than... not less than the 10m grace, so shifted by the 5m downtime.
        let shifted: Int64 = 5 * 60_000
        #expect(m.active.values.first?.activeAt == shifted)
        var n = try AlertStateMachine(name: "A", expr: "x", forDuration: 30 * 60_000, keepFiringFor: 0, labels: [:], annotations: [:])
        _ = try n.evaluate(hot, at: 25 * 60_000, settings: s)
        let late = RuleSeries(labels: prior.labels, timestamps: [24 * 60_000], values: [0])
        n.restore(from: [late], at: 25 * 60_000, settings: s)
        // 24 minutes spent, 6 left: below the grace period, so it gets the full 10 minutes from now.
        let expected: Int64 = (25 + 10 - 30) * 60_000
        #expect(n.active.values.first?.activeAt == expected)
    }

    @Test func generatorURLAndExponentFormat() throws {
        let m = try AlertStateMachine(name: "A", expr: #"up{job="a b"} == 0"#, forDuration: 0, keepFiringFor: 0, labels: [:], annotations: [:])
        #expect(m.generatorURL("http://h:3100/") == "http://h:3100/graph?g0.expr=up%7Bjob%3D%22a+b%22%7D+%3D%3D+0&g0.tab=1")
    }
}

@Suite struct RuleGroupRunnerTests {
    @Test func recordsAlertsStaleMarkersAndAPI() async throws {
        let groups = try RuleFileParser.parse("""
            groups:
              - name: g
                labels: {team: t}
                rules:
                  - record: job:up:sum
                    expr: sum by (job) (up)
                  - alert: Down
                    expr: up == 0
                    for: 1m
                    annotations: {summary: "{{ $labels.job }} down"}
            """, file: "g.yaml")
        let engine = ScriptedEngine()
        let writer = MemoryWriter()
        let runner = try RuleGroupRunner(spec: groups[0], defaultInterval: 60_000, engine: engine, writer: writer)
        engine.set("sum by (job) (up)", [RuleSample(labels: Labels(["job": "a"]), value: 2), RuleSample(labels: Labels(["job": "b"]), value: 1)])
        engine.set("up == 0", [RuleSample(labels: Labels(["__name__": "up", "job": "a", "instance": "x"]), value: 0)])
        _ = await runner.evaluate(at: 60_000)
        let rec = await writer.at(60_000, name: "job:up:sum")
        #expect(rec.count == 2 && rec.allSatisfy { $0.labels["team"] == "t" })
        #expect(await writer.at(60_000, name: "ALERTS").first?.labels["alertstate"] == "pending")
        engine.set("sum by (job) (up)", [RuleSample(labels: Labels(["job": "a"]), value: 2)])
        let sent = await runner.evaluate(at: 120_000)
        #expect(sent.count == 1 && sent[0].annotations["summary"] == "a down")
        let gone = await writer.at(120_000, name: "job:up:sum").filter { $0.labels["job"] == "b" }
        #expect(gone.count == 1 && RuleStaleNaN.isStale(gone[0].v))
        #expect(await writer.at(120_000, name: "ALERTS").contains { $0.labels["alertstate"] == "firing" && $0.v == 1 })
        // The pending series ends with a stale marker once the alert fires.
        #expect(await writer.at(120_000, name: "ALERTS").contains { $0.labels["alertstate"] == "pending" && RuleStaleNaN.isStale($0.v) })

        let api = RulesAPI.group(await runner.snapshot())
        #expect(api.rules.count == 2 && api.rules[1].state == "firing" && api.rules[1].alerts?.first?.value == "0e+00")
        let json = String(decoding: try JSONEncoder().encode(api), as: UTF8.self)
        #expect(json.contains("\"type\":\"alerting\"") && json.contains("\"health\":\"ok\"") && json.contains("\"duration\":60"))

        engine.set("up == 0", [])
        _ = await runner.evaluate(at: 180_000)
        #expect(await writer.at(180_000, name: "ALERTS").allSatisfy { RuleStaleNaN.isStale($0.v) })
        engine.set("sum by (job) (up)", [RuleSample(labels: Labels(["job": "a"]), value: 1), RuleSample(labels: Labels(["job": "a", "x": "1"]), value: 1)])
        _ = await runner.evaluate(at: 240_000)
        #expect(RulesAPI.group(await runner.snapshot()).rules[1].health == "ok")
    }
}

@Suite struct ShippedRulesTests {
    @Test func shippedRulesAndSLOsAreValid() throws {
        let dir = TestPaths.repoRoot.appendingPathComponent("rules").path
        let report = RuleFiles.checkAll(at: dir)
        for m in report.messages { print(m) }
        #expect(report.ok)
        let set = try RuleFiles.load([dir])
        #expect(set.slos.map(\.name).sorted() == ["playback-availability", "requests-availability", "requests-latency"])
        #expect(set.slos.first { $0.name == "playback-availability" }?.sli.language == .logql)
        #expect(set.groups.flatMap(\.rules).filter { $0.language == .logql }.count == 2)
        // Generated rules keep the LogQL recordings in a document of their own.
        let text = try String(contentsOfFile: dir + "/streaming-slos.yaml", encoding: .utf8)
        let out = try SLOGenerate.generate(text, file: "streaming-slos.yaml")
        #expect(out.components(separatedBy: "\n---\n").count == 3)
        #expect(out.contains("kansoku_language: logql"))
    }

    @Test func checkReportsFileLineAndReason() throws {
        let dir = TestPaths.makeTempDir("kansoku-rules-check")
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
            version: "prometheus/v1"
            service: "svc"
            slos:
              - name: "a"
                objective: 120
                sli:
                  events:
                    error_query: sum(rate(x[5m]))
                    total_query: sum(rate(y[{{.window}}])
            """.write(to: dir.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let report = RuleFiles.checkSLOs(at: dir.path)
        #expect(!report.ok && report.errorCount == 3)
        let all = report.messages.joined(separator: "\n")
        #expect(all.contains("bad.yaml:4:5: SLO \"a\": objective must be greater than 0 and at most 100, got 120"))
        #expect(all.contains("must use the {{.window}} template variable"))
        #expect(all.contains("invalid promql SLI query"))
    }
}
