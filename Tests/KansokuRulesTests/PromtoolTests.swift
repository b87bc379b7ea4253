import Foundation
import KansokuCore
import KansokuTestSupport
import Testing
@testable import KansokuRules

/// Checks our generated rules with the real Prometheus tooling: `promtool check rules` on
/// every fixture's output, and `promtool test rules` on a burn scenario whose alert minutes
/// come from the SRE Workbook's arithmetic.
@Suite struct PromtoolTests {
    static let promtool = Requirement.command("promtool", install: "apt-get install prometheus")

    @Test(.requires(promtool, .shared("conformance/sloth")))
    func promtoolAcceptsEveryGeneratedFile() throws {
        let root = try #require(TestPaths.shared("conformance/sloth"))
        let dir = TestPaths.makeTempDir("kansoku-rules-promtool-check")
        defer { try? FileManager.default.removeItem(at: dir) }
        var files: [String] = []
        for c in try SlothConformanceTests.cases(root) where c.expected != nil {
            guard let docs = try? SLOSpecLoader.load(try TestPaths.read(c.input), file: c.input.lastPathComponent, options: c.load) else { continue }
            var gen = c.generate
            gen.windows = c.load.windows
            // MetricsQL specs (VictoriaMetrics) are not PromQL; promtool cannot judge them. Label
            // names outside [a-zA-Z_][a-zA-Z0-9_]* need Prometheus 3's UTF-8 names, which this
            // promtool predates.
            for (i, doc) in docs.enumerated() where !doc.slos.contains(where: \.plugins.metricsQL) {
                let names = doc.slos.flatMap { Array($0.labels.keys) + Array($0.plugins.infoLabels.keys) }
                if let bad = names.first(where: { !isValidLabelName($0) }) {
                    print("NOTE \(c.name): not checked by promtool: label name \(bad) needs Prometheus 3 (UTF-8 label names)")
                    continue
                }
                let groups = try doc.slos.flatMap { try SlothRuleGenerator.groups(for: $0, options: gen) }
                let path = dir.appendingPathComponent("\(files.count)-\(c.input.deletingPathExtension().lastPathComponent)-\(i).yaml").path
                try RuleYAMLWriter.rulesDocument(groups).write(toFile: path, atomically: true, encoding: .utf8)
                files.append(path)
            }
        }
        // Our own shipped SLOs too (PromQL parts; LogQL recordings are not Prometheus's to check).
        for f in TestPaths.yamlFiles(in: TestPaths.repoRoot.appendingPathComponent("rules")) {
            guard let docs = try? SLOSpecLoader.load(try TestPaths.read(f), file: f.lastPathComponent) else { continue }
            for doc in docs {
                let groups = try doc.slos.flatMap { try SlothRuleGenerator.groups(for: $0, options: SLOGenerateOptions()) }.filter { $0.language != .logql }
                let path = dir.appendingPathComponent("\(files.count)-\(f.deletingPathExtension().lastPathComponent).yaml").path
                try RuleYAMLWriter.rulesDocument(groups).write(toFile: path, atomically: true, encoding: .utf8)
                files.append(path)
            }
        }
        let result = try #require(TestPaths.run("promtool", ["check", "rules"] + files), "promtool did not run")
        let ok = result.output.components(separatedBy: "SUCCESS").count - 1
        print("PROMTOOL check rules: \(ok)/\(files.count) files accepted")
        if result.status != 0 { print(result.output) }
        #expect(result.status == 0)
        #expect(ok == files.count)
    }

    /// A 30-day 99.9% SLO whose error ratio steps from 0.05% to 20% after three days.
    static let scenarioSpec = """
        version: "prometheus/v1"
        service: "streaming"
        labels:
          team: video
        slos:
          - name: "requests-availability"
            objective: 99.9
            sli:
              events:
                error_query: sum(rate(http_requests_total{job="streaming",code=~"5.."}[{{.window}}]))
                total_query: sum(rate(http_requests_total{job="streaming"}[{{.window}}]))
            alerting:
              name: StreamingAvailabilityBurn
              labels:
                category: availability
        """

    /// The first minute after the step at which a window pair exceeds `factor × budget`:
    /// with samples every minute, a window of W minutes holds W−1 increases, k of them at the
    /// new ratio, and `rate()` scales errors and totals alike, so the windowed error ratio is
    /// `(base·(W−1−k) + high·k) / (W−1)` (the Workbook's detection-time arithmetic).
    static func firstMinute(base: Double, high: Double, budget: Double, factor: Double, short: Int, long: Int) -> Int {
        func ratio(_ windowMinutes: Int, _ k: Int) -> Double {
            let n = Double(windowMinutes - 1), kk = Double(min(k, windowMinutes - 1))
            return (base * (n - kk) + high * kk) / n
        }
        var k = 1
        while !(ratio(short, k) > factor * budget && ratio(long, k) > factor * budget) { k += 1 }
        return k
    }

    @Test(.requires(promtool))
    func promtoolUnitTestFiresAtPredictedMinutes() throws {
        let slo = try SLOSpecLoader.load(Self.scenarioSpec, file: "scenario.yaml")[0].slos[0]
        let windows = AlertWindows.google(period: .days(30))
        let budget = slo.errorBudgetRatio
        // Minutes after the step, per the Workbook: page (14.4× over 1h & 5m, or 6× over 6h & 30m)
        // and ticket (3× over 1d & 2h, or 1× over 3d & 6h).
        func predicted(_ a: BurnRateWindow, _ b: BurnRateWindow) -> Int {
            func one(_ w: BurnRateWindow) -> Int {
                Self.firstMinute(base: 0.0005, high: 0.2, budget: budget, factor: w.burnFactor(period: .days(30)),
                            short: Int(w.shortWindow.milliseconds / 60_000), long: Int(w.longWindow.milliseconds / 60_000))
            }
            return min(one(a), one(b))
        }
        let page = predicted(windows.pageQuick, windows.pageSlow)
        let ticket = predicted(windows.ticketQuick, windows.ticketSlow)
        print("PREDICTED: page fires \(page) min after the step, ticket \(ticket) min after")
        #expect(page == 5)
        #expect(ticket == 11)

        let dir = TestPaths.makeTempDir("kansoku-rules-promtool-test")
        defer { try? FileManager.default.removeItem(at: dir) }
        let groups = try SlothRuleGenerator.groups(for: slo, options: SLOGenerateOptions())
        try RuleYAMLWriter.rulesDocument(groups).write(to: dir.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)

        let step = 3 * 24 * 60  // minutes of clean history: the longest window (3d) is full
        let after = 120
        // 6000 requests a minute; 3 of them fail before the step (0.05%), 1200 after (20%).
        let errLast = 3 * step, okLast = 5997 * step
        let errors = "0+3x\(step) \(errLast + 1200)+1200x\(after - 1)"
        let oks = "0+5997x\(step) \(okLast + 4800)+4800x\(after - 1)"
        var lines = [
            // Without an explicit order promtool evaluates groups in Go map order, so the alert
            // group would sometimes read the recordings of the previous minute.
            "rule_files:", "  - rules.yaml", "evaluation_interval: 1m", "group_eval_order:",
        ] + groups.map { "  - \($0.name)" } + [
            "tests:", "  - interval: 1m", "    input_series:",
            "      - series: 'http_requests_total{job=\"streaming\",code=\"500\"}'", "        values: '\(errors)'",
            "      - series: 'http_requests_total{job=\"streaming\",code=\"200\"}'", "        values: '\(oks)'",
            "    alert_rule_test:",
        ]
        func check(_ minute: Int, _ firing: [String]) {
            lines += ["      - eval_time: \(step + minute)m", "        alertname: StreamingAvailabilityBurn"]
            lines.append(firing.isEmpty ? "        exp_alerts: []" : "        exp_alerts:")
            for severity in firing {
                lines += [
                    "          - exp_labels:", "              category: availability", "              sloth_id: streaming-requests-availability",
                    "              sloth_service: streaming", "              sloth_slo: requests-availability",
                    "              sloth_severity: \(severity)", "              team: video", "            exp_annotations:",
                    "              title: \"(\(severity)) streaming requests-availability SLO error budget burn rate is too fast.\"",
                    "              summary: \"streaming requests-availability SLO error budget burn rate is over expected.\"",
                ]
            }
        }
        check(0, [])
        check(page - 1, [])
        check(page, ["page"])
        check(ticket - 1, ["page"])
        check(ticket, ["page", "ticket"])
        check(60, ["page", "ticket"])
        let test = lines.joined(separator: "\n") + "\n"
        try test.write(to: dir.appendingPathComponent("test.yaml"), atomically: true, encoding: .utf8)
        let result = try #require(TestPaths.run("promtool", ["test", "rules", dir.appendingPathComponent("test.yaml").path]), "promtool did not run")
        print("PROMTOOL test rules (page at +\(page)m, ticket at +\(ticket)m): \(result.status == 0 ? "SUCCESS" : "FAILED")")
        if result.status != 0 { print(result.output) }
        #expect(result.status == 0)
    }
}
