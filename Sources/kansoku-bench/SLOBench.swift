import Foundation
import KansokuCore
import KansokuMetricStore
import KansokuPromQL
import KansokuRules

/// `kansoku-bench slo [--slos 1000] [--days 30] [--cycles 10] [--baseline-slos 20] [--dir DIR]`:
/// the time of one SLO evaluation cycle for 1,000 SLOs over 30 days of 30-second data, in the
/// metric store, through the PromQL engine, results written back. Beside it, in the same run,
/// the same SLOs evaluated the way Prometheus runs Sloth's generated rules (every window a
/// `rate()` over raw data), measured on a subset and scaled to all SLOs.
enum SLOBench {
    static func emit(_ object: [String: Any]) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        print(String(decoding: data, as: UTF8.self))
        fflush(nil)
    }

    static func option(_ args: [String], _ name: String, _ fallback: Int) -> Int {
        guard let i = args.firstIndex(of: name), i + 1 < args.count, let v = Int(args[i + 1]) else { return fallback }
        return v
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

    /// CPU time of the process: on a shared machine, the figure load does not inflate.
    static func cpuSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    static func rssMiB() -> Double {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb / 1024
    }

    /// Deterministic per-service traffic: ~20 requests/s, an error ratio between 0.01% and
    /// 0.1% (within a 99.9% objective), and every 37th service in an incident (20% errors)
    /// over the last hour.
    struct Traffic {
        static func ratio(service: Int, t: Int64, end: Int64) -> Double {
            if service % 37 == 0 && t > end - 3_600_000 { return 0.2 }
            return 0.0001 + Double((service &* 2_654_435_761) % 90) / 100_000
        }
    }

    static func run(arguments: [String]) async throws {
        let sloCount = option(arguments, "--slos", 1000)
        let days = option(arguments, "--days", 30)
        let cycles = option(arguments, "--cycles", 10)
        let baselineSLOs = min(option(arguments, "--baseline-slos", 20), sloCount)
        let step: Int64 = 30_000
        let dir = arguments.firstIndex(of: "--dir").map { arguments[$0 + 1] }
            ?? NSTemporaryDirectory() + "kansoku-slo-bench-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let clock = ContinuousClock()
        let end = (Int64(Date().timeIntervalSince1970 * 1000) / 300_000) * 300_000
        let start = end - Int64(days) * 86_400_000
        let store = try MetricStore.open(MetricStoreConfig(directory: dir, retention: Int64(days + 10) * 86_400_000,
                                                           blockDuration: 24 * MetricStoreConfig.hour))

        // 1. History: two counters per service, every 30 s for `days` days, imported into blocks.
        let errLabels = (0..<sloCount).map { Labels(["__name__": "http_requests_total", "service": "svc-\($0)", "code": "500"]) }
        let okLabels = (0..<sloCount).map { Labels(["__name__": "http_requests_total", "service": "svc-\($0)", "code": "200"]) }
        var errCounters = [Double](repeating: 0, count: sloCount), okCounters = [Double](repeating: 0, count: sloCount)
        let steps = Int((end - start) / step)
        var t0 = clock.now
        var samples: [(Labels, Int64, Double)] = []
        var imported = 0
        var stepIndex = 0
        while stepIndex <= steps {
            samples.removeAll(keepingCapacity: true)
            let stop = min(steps, stepIndex + 2880)
            for k in stepIndex...stop {
                let t = start + Int64(k) * step
                for s in 0..<sloCount {
                    samples.append((errLabels[s], t, errCounters[s]))
                    samples.append((okLabels[s], t, okCounters[s]))
                    let total = 600.0 + Double((s &+ k) % 7)
                    let errors = (total * Traffic.ratio(service: s, t: t, end: end)).rounded()
                    errCounters[s] += errors
                    okCounters[s] += total - errors
                }
            }
            imported += try await store.importBlocks(samples: samples).samples
            stepIndex = stop + 1
        }
        emit(["suite": "slo", "phase": "import", "series": 2 * sloCount, "samples": imported, "days": days,
              "seconds": seconds(clock.now - t0), "rss_mib": rssMiB()])

        // 2. The SLOs: one per service, availability 99.9% over 30 days, page and ticket alerts.
        var spec = "version: \"prometheus/v1\"\nservice: \"bench\"\nslos:\n"
        for s in 0..<sloCount {
            spec += """
                  - name: "svc-\(s)-availability"
                    objective: 99.9
                    sli:
                      events:
                        error_query: sum(rate(http_requests_total{service="svc-\(s)",code=~"5.."}[{{.window}}]))
                        total_query: sum(rate(http_requests_total{service="svc-\(s)"}[{{.window}}]))
                    alerting:
                      name: SLOBurn

                """
        }
        let slos = try SLOSpecLoader.load(spec, file: "bench.yaml").flatMap(\.slos)
        let promql = PromQLEngine(queryable: store)
        let engine = KansokuRuleQueryEngine(promql: promql, logql: nil)
        let evaluator = try SLOEvaluator(slos: slos, windows: AlertWindowsCatalog(), engine: engine,
                                         writer: MetricStoreRuleWriter(store: store), interval: step)

        // 3. Warm start: rings filled from the stored month (once per process start).
        t0 = clock.now
        let cpuWarm = cpuSeconds()
        await evaluator.warmStart(at: end)
        emit(["suite": "slo", "phase": "warm_start", "slos": sloCount, "seconds": seconds(clock.now - t0),
              "cpu_seconds": cpuSeconds() - cpuWarm, "rss_mib": rssMiB()])

        // 4. Cycles: new samples arrive (not timed), then one evaluation of every SLO (timed).
        var cycleTimes: [Double] = []
        var cycleCPU: [Double] = []
        var firing = 0
        for c in 1...cycles {
            let t = end + Int64(c) * step
            var live: [(labels: Labels, t: Int64, v: Double)] = []
            for s in 0..<sloCount {
                let total = 600.0
                let errors = (total * Traffic.ratio(service: s, t: t, end: end + 3_600_000)).rounded()
                errCounters[s] += errors
                okCounters[s] += total - errors
                live.append((errLabels[s], t, errCounters[s]))
                live.append((okLabels[s], t, okCounters[s]))
            }
            _ = try await store.append(live)
            t0 = clock.now
            let cpu0 = cpuSeconds()
            let sent = await evaluator.evaluate(at: t)
            let secs = seconds(clock.now - t0)
            let cpu = cpuSeconds() - cpu0
            cycleTimes.append(secs)
            cycleCPU.append(cpu)
            firing = sent.filter { $0.status == .firing }.count
            emit(["suite": "slo", "phase": "cycle", "cycle": c, "seconds": secs, "cpu_seconds": cpu, "queries": 2 * sloCount,
                  "series_written": sloCount * 15, "alerts_sent": sent.count])
        }
        let sorted = cycleTimes.sorted()
        let median = sorted[sorted.count / 2]
        let cpuMedian = cycleCPU.sorted()[cycleCPU.count / 2]

        // 5. Beside it: Sloth's generated recording rules for `baselineSLOs` SLOs, evaluated at
        //    one instant in the same engine over the same data (what Prometheus would run).
        let tEval = end + Int64(cycles) * step
        var slothRules: [RuleSpec] = []
        for slo in slos.prefix(baselineSLOs) {
            slothRules += try SlothRuleGenerator.groups(for: slo, options: SLOGenerateOptions()).flatMap(\.rules)
        }
        t0 = clock.now
        let cpuBase0 = cpuSeconds()
        for r in slothRules { _ = try await engine.instant(r.expr, language: .promql, at: tEval) }
        let baselineSeconds = seconds(clock.now - t0)
        let baselineCPU = cpuSeconds() - cpuBase0
        let slothCycle = baselineSeconds * Double(sloCount) / Double(max(baselineSLOs, 1))
        let slothCycleCPU = baselineCPU * Double(sloCount) / Double(max(baselineSLOs, 1))
        emit(["suite": "slo", "phase": "sloth_rules", "slos_measured": baselineSLOs, "rules": slothRules.count,
              "seconds": baselineSeconds, "cpu_seconds": baselineCPU, "scaled_cycle_seconds": slothCycle, "scaled_cycle_cpu_seconds": slothCycleCPU])

        try await store.close()
        emit(["suite": "slo", "summary": true, "slos": sloCount, "days": days, "resolution_seconds": 30,
              "cycle_seconds_median": median, "cycle_seconds_max": sorted.last ?? 0, "cycle_cpu_seconds_median": cpuMedian,
              "target_seconds": 1.0, "meets_target": cpuMedian < 1.0, "firing_alerts_last_cycle": firing,
              "sloth_rules_cycle_seconds": slothCycle, "sloth_rules_cycle_cpu_seconds": slothCycleCPU,
              "speedup_vs_sloth_rules": slothCycleCPU / max(cpuMedian, 1e-9),
              "rss_mib": rssMiB()])
    }
}
