import Foundation
import KansokuCore
import KansokuPromQL
import Testing
@testable import KansokuRules

@Suite struct SLOEvaluatorTests {
    static let spec = """
        version: "prometheus/v1"
        service: "streaming"
        slos:
          - name: "requests-availability"
            objective: 99.9
            sli:
              events:
                error_query: sum(rate(http_requests_total{job="streaming",code=~"5.."}[{{.window}}]))
                total_query: sum(rate(http_requests_total{job="streaming"}[{{.window}}]))
            alerting:
              name: StreamingAvailabilityBurn
        """

    /// Counters every 30s: 6000 requests per 30s, 0.05% failing until `step`, 20% after.
    static func load(_ q: InMemoryQueryable, from: Int64, to: Int64, step: Int64) {
        var errors = 0.0, oks = 0.0
        var t = from
        while t <= to {
            q.add(Labels(["__name__": "http_requests_total", "job": "streaming", "code": "500"]), t: t, v: errors)
            q.add(Labels(["__name__": "http_requests_total", "job": "streaming", "code": "200"]), t: t, v: oks)
            let failing = t >= step ? 1200.0 : 3.0
            errors += failing
            oks += 6000 - failing
            t += 30_000
        }
    }

    /// Ratio over a window of `minutes` when `k` of its minutes are past the step: the
    /// Workbook's arithmetic for the time an alert needs to detect the step.
    static func idealMinute(budget: Double, factor: Double, short: Double, long: Double) -> Double {
        func ratio(_ w: Double, _ k: Double) -> Double { (0.0005 * (w - min(k, w)) + 0.2 * min(k, w)) / w }
        var k = 0.5
        while !(ratio(short, k) > factor * budget && ratio(long, k) > factor * budget) { k += 0.5 }
        return k
    }

    @Test func pageAndTicketFireWhenTheWorkbookSays() async throws {
        let slo = try SLOSpecLoader.load(Self.spec, file: "s.yaml")[0].slos[0]
        let q = InMemoryQueryable()
        let base: Int64 = 1_700_000_100_000 / 300_000 * 300_000
        let step = base + 3 * 86_400_000
        Self.load(q, from: base, to: step + 30 * 60_000, step: step)
        let engine = KansokuRuleQueryEngine(promql: PromQLEngine(queryable: q), logql: nil)
        let writer = MemoryWriter()
        let evaluator = try SLOEvaluator(slos: [slo], windows: AlertWindowsCatalog(), engine: engine, writer: writer, interval: 30_000)
        await evaluator.warmStart(at: step)

        // Before the step every window reads the baseline 0.05%.
        _ = await evaluator.evaluate(at: step)
        let before = await evaluator.status()[0]
        for (w, r) in before.burnRates { #expect(r.map { abs($0 - 0.5) < 0.01 } == true, "window \(w.prometheusString): \(String(describing: r))") }
        #expect(before.alertState == .inactive)

        var pageAt: Double?, ticketAt: Double?
        var k: Int64 = 1
        while k <= 40, pageAt == nil || ticketAt == nil {
            let t = step + k * 30_000
            let sent = await evaluator.evaluate(at: t)
            let s = await evaluator.status()[0]
            if pageAt == nil, s.firingSeverities.contains("page") {
                pageAt = Double(k) / 2
                #expect(sent.contains { $0.labels["sloth_severity"] == "page" && $0.status == .firing })
            }
            if ticketAt == nil, s.firingSeverities.contains("ticket") { ticketAt = Double(k) / 2 }
            k += 1
        }
        let w = AlertWindows.google(period: .days(30))
        let b = slo.errorBudgetRatio
        func ideal(_ x: BurnRateWindow, _ y: BurnRateWindow) -> Double {
            func one(_ z: BurnRateWindow) -> Double {
                Self.idealMinute(budget: b, factor: z.burnFactor(period: .days(30)), short: z.shortWindow.seconds / 60, long: z.longWindow.seconds / 60)
            }
            return min(one(x), one(y))
        }
        let idealPage = ideal(w.pageQuick, w.pageSlow), idealTicket = ideal(w.ticketQuick, w.ticketSlow)
        print("SLO evaluator: page fired \(pageAt ?? -1) min after the step (Workbook: \(idealPage)), ticket \(ticketAt ?? -1) (Workbook: \(idealTicket))")
        // 5m rates over 30s samples count 9 of every 10 intervals, so a tick either way.
        #expect(pageAt.map { abs($0 - idealPage) <= 0.5 } == true)
        #expect(ticketAt.map { abs($0 - idealTicket) <= 0.5 } == true)

        // Sloth's series names and labels were written.
        let t = step + (k - 1) * 30_000
        let names = Set(await writer.samples.filter { $0.t == t }.compactMap { $0.labels["__name__"] })
        for n in ["slo:sli_error:ratio_rate5m", "slo:sli_error:ratio_rate30m", "slo:sli_error:ratio_rate1h", "slo:sli_error:ratio_rate2h",
                  "slo:sli_error:ratio_rate6h", "slo:sli_error:ratio_rate1d", "slo:sli_error:ratio_rate3d", "slo:sli_error:ratio_rate30d",
                  "slo:objective:ratio", "slo:error_budget:ratio", "slo:time_period:days", "slo:current_burn_rate:ratio",
                  "slo:period_burn_rate:ratio", "slo:period_error_budget_remaining:ratio", "sloth_slo_info", "ALERTS", "ALERTS_FOR_STATE"] {
            #expect(names.contains(n), "missing \(n)")
        }
        let r5 = await writer.at(t, name: "slo:sli_error:ratio_rate5m")
        #expect(r5.first?.labels["sloth_id"] == "streaming-requests-availability" && r5.first?.labels["sloth_window"] == "5m")
        #expect(r5.first.map { abs($0.v - 0.2) < 1e-9 } == true)
    }

    @Test func windowsMatchRawRateQueries() async throws {
        // The incremental windows equal Sloth's rate(x[W]) ratios on steady traffic.
        let slo = try SLOSpecLoader.load(Self.spec, file: "s.yaml")[0].slos[0]
        let q = InMemoryQueryable()
        let base: Int64 = 1_700_000_100_000 / 300_000 * 300_000
        let now = base + 4 * 86_400_000 + 90_000
        Self.load(q, from: base, to: now, step: now - 2 * 3_600_000)
        let promql = PromQLEngine(queryable: q)
        let engine = KansokuRuleQueryEngine(promql: promql, logql: nil)
        let evaluator = try SLOEvaluator(slos: [slo], windows: AlertWindowsCatalog(), engine: engine, writer: MemoryWriter(), interval: 30_000)
        await evaluator.warmStart(at: now - 30_000)
        _ = await evaluator.evaluate(at: now)
        let s = await evaluator.status()[0]
        for w in ["30m", "1h", "2h", "6h", "1d", "3d"] {
            let d = PromDuration(w)!
            let expr = SlothRuleGenerator.sliExpression(slo, window: d)
            guard case .vector(let v) = try await promql.instantQuery(expr, at: now), let want = v.first?.v else {
                Issue.record("no value for \(w)")
                continue
            }
            let got = s.values.ratios[d] ?? .nan
            #expect(abs(got - want) / want < 0.02, "window \(w): incremental \(got) vs rate \(want)")
        }
    }
}
