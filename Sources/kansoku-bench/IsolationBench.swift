import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `kansoku-bench isolation --corpus DIR`: whether users' queries can starve ingestion and
/// rules. A real server gets the corpus pushed once; then, for `--seconds` each, an idle phase
/// and a loaded phase (`--clients` clients running the heaviest full-scan metric query in a
/// loop) measure the same things side by side: push acknowledgement latency of a small
/// steady pusher, `/ready` latency, and the lag of a 1 s rule group (a PromQL and a LogQL
/// recording rule). Targets: loaded push p50/p99 and rule lag within 2× of idle, `/ready`
/// under 100 ms. The query's answer is checked against the corpus (exit 1 on a mismatch).
enum IsolationBench {
    static let heavyQuery = #"sum by (app) (count_over_time({app=~".+"} |= "error" [1h]))"#

    static func run(arguments: [String]) async throws {
        var seconds: Double = 30, clients = 4
        var i = 0
        var rest: [String] = []
        while i < arguments.count {
            switch arguments[i] {
            case "--seconds": i += 1; seconds = Double(arguments[i]) ?? seconds
            case "--clients": i += 1; clients = max(1, Int(arguments[i]) ?? clients)
            default: rest.append(arguments[i])
            }
            i += 1
        }
        let o = try SoakBench.parse(rest)
        let corpus = try SoakCorpus.load(o.corpus)
        let scratch = NSTemporaryDirectory() + "kansoku-isolation-\(getpid())"
        try? FileManager.default.removeItem(atPath: scratch)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        try """
            groups:
              - name: isolation
                interval: 1s
                rules:
                  - record: bench:vector:one
                    expr: vector(1)
                  - record: bench:probe_lines:count10s
                    expr: sum(count_over_time({app="probe"}[10s]))
            """.write(toFile: scratch + "/rules.yaml", atomically: true, encoding: .utf8)
        try (SoakServer.config.replacingOccurrences(of: "  files: []", with: "  files: [\"\(scratch)/rules.yaml\"]\n  interval: 1s"))
            .write(toFile: scratch + "/kansoku.yaml", atomically: true, encoding: .utf8)
        let server = try SoakServer(binary: o.binary, data: scratch + "/data", config: scratch + "/kansoku.yaml")
        defer { server.kill9() }
        let port = server.port
        LogsIngestBench.emit(["suite": "isolation", "phase": "setup", "corpus": o.corpus, "corpus_bytes": corpus.rawBytes,
                              "query_clients": clients, "seconds_per_phase": seconds, "query": heavyQuery,
                              "load_average": LogsIngestBench.loadAverage()])
        // Load the corpus.
        let loaded = runPushers(clients: 4, { c in
            SoakPusher(client: c, of: 4, corpus: corpus, port: port, lines: 1000, streamsPerPush: 4, once: true, bytesPerSecond: 0)
        }, until: .distantFuture)
        guard loaded.errors == 0 else { throw LogsIngestBench.BenchError.io("loading the corpus: \(loaded.firstError ?? "")") }
        let expected = expectedErrorCounts(corpus)

        let rssLoaded = BenchProcess.rss(server.pid)
        let idle = try measure(port: port, seconds: seconds, queryClients: 0, expected: expected)
        emit("idle", idle, rss: BenchProcess.rss(server.pid))
        let busy = try measure(port: port, seconds: seconds, queryClients: clients, expected: expected)
        emit("loaded", busy, rss: BenchProcess.rss(server.pid))
        let pushRatio = (p50: ratio(busy.push, idle.push, 0.5), p99: ratio(busy.push, idle.push, 0.99))
        let lagRatio = (p50: ratio(busy.ruleLag, idle.ruleLag, 0.5), p99: ratio(busy.ruleLag, idle.ruleLag, 0.99))
        let readyMax = max(percentile(idle.ready, 1), percentile(busy.ready, 1))
        LogsIngestBench.emit(["suite": "isolation", "summary": true,
                              "push_p50_ms": [ms(idle.push, 0.5), ms(busy.push, 0.5)], "push_p99_ms": [ms(idle.push, 0.99), ms(busy.push, 0.99)],
                              "rule_lag_p50_ms": [ms(idle.ruleLag, 0.5), ms(busy.ruleLag, 0.5)],
                              "rule_lag_p99_ms": [ms(idle.ruleLag, 0.99), ms(busy.ruleLag, 0.99)],
                              "ready_max_ms": [ms(idle.ready, 1), ms(busy.ready, 1)],
                              "order": "[idle, loaded]",
                              "push_ratio_p50": round2(pushRatio.p50), "push_ratio_p99": round2(pushRatio.p99),
                              "rule_lag_ratio_p50": round2(lagRatio.p50), "rule_lag_ratio_p99": round2(lagRatio.p99),
                              "heavy_queries_done": busy.queries, "heavy_query_p50_s": round2(percentile(busy.queryTimes, 0.5)),
                              "query_results_exact": busy.mismatches == 0,
                              "server_rss_mib_after_corpus": rssLoaded >> 20, "server_peak_rss_mib": BenchProcess.rss(server.pid, field: "VmHWM:") >> 20,
                              "targets": "push and rule lag ratios (p50 and p99) <= 2, ready < 100 ms",
                              "targets_met": pushRatio.p50 <= 2 && pushRatio.p99 <= 2 && lagRatio.p50 <= 2 && lagRatio.p99 <= 2 && readyMax < 0.1,
                              "load_average": LogsIngestBench.loadAverage()])
        if busy.mismatches > 0 {
            FileHandle.standardError.write(Data("kansoku-bench isolation: \(busy.mismatches) heavy query answers differ from the corpus\n".utf8))
            exit(1)
        }
    }

    struct Phase {
        var push: [Double] = []
        var ready: [Double] = []
        var ruleLag: [Double] = []
        /// The evaluation's own duration, the part of `ruleLag` after its start.
        var ruleEvaluation: [Double] = []
        /// Each rule's own evaluation time, by rule name.
        var perRule: [String: [Double]] = [:]
        var queries = 0
        var queryTimes: [Double] = []
        var mismatches = 0
    }

    /// Lines containing "error" per app: the heavy query's answer (JSON escaping never splits
    /// the word, so the escaped lines count the same).
    static func expectedErrorCounts(_ corpus: SoakCorpus) -> [String: Int] {
        var out: [String: Int] = [:]
        let needle = Array("error".utf8)
        for s in corpus.streams {
            let app = String(decoding: s.labels, as: UTF8.self).split(separator: "\"")[3]
            var n = 0
            var start = 0
            for end in s.ends {
                if s.escaped[start..<end].firstRange(of: needle) != nil { n += 1 }
                start = end
            }
            out[String(app), default: 0] += n
        }
        // An app without such lines has no series in the answer.
        return out.filter { $0.value > 0 }
    }

    static func measure(port: Int, seconds: Double, queryClients: Int, expected: [String: Int]) throws -> Phase {
        let stop = Atomic<Bool>(false)
        let result = Mutex(Phase())
        var threads: [Thread] = []
        let done = DispatchGroup()
        func spawn(_ body: @escaping @Sendable () -> Void) {
            done.enter()
            let t = Thread { body(); done.leave() }
            threads.append(t)
            t.start()
        }
        // A steady small pusher: 20 lines every 50 ms.
        spawn {
            let http = LoopbackHTTPClient(port: port)
            var n = 0
            while !stop.load(ordering: .relaxed) {
                let now = Int64(Date().timeIntervalSince1970 * 1e9)
                let values = (0..<20).map { "[\"\(now + Int64($0))\",\"probe line \(n) \($0) status=200\"]" }.joined(separator: ",")
                let body = Array("{\"streams\":[{\"stream\":{\"app\":\"probe\"},\"values\":[\(values)]}]}".utf8)
                let began = Date()
                if let r = try? http.send("POST", "/loki/api/v1/push", body: body), r.status == 204 {
                    let d = Date().timeIntervalSince(began)
                    result.withLock { $0.push.append(d) }
                }
                n += 1
                usleep(50_000)
            }
        }
        // /ready every 100 ms.
        spawn {
            let http = LoopbackHTTPClient(port: port)
            while !stop.load(ordering: .relaxed) {
                let began = Date()
                if (try? http.send("GET", "/ready"))?.status == 200 {
                    let d = Date().timeIntervalSince(began)
                    result.withLock { $0.ready.append(d) }
                }
                usleep(100_000)
            }
        }
        // Rule lag from the server's own metrics, one reading per evaluation.
        spawn {
            let http = LoopbackHTTPClient(port: port)
            var seen = Set<String>()
            while !stop.load(ordering: .relaxed) {
                if let text = try? http.send("GET", "/metrics").text {
                    var ts: String?
                    var lag: Double?
                    var took: Double?
                    for line in text.split(separator: "\n") where line.contains("rule_group=\"isolation\"") {
                        if line.hasPrefix("kansoku_rule_group_last_evaluation_timestamp_seconds") { ts = line.split(separator: " ").last.map(String.init) }
                        if line.hasPrefix("kansoku_rule_group_last_evaluation_lag_seconds") { lag = line.split(separator: " ").last.flatMap { Double($0) } }
                        if line.hasPrefix("kansoku_rule_group_last_duration_seconds") { took = line.split(separator: " ").last.flatMap { Double($0) } }
                    }
                    if let ts, let lag, ts != "0", seen.insert(ts).inserted {
                        let perRule = ruleEvaluationTimes(try? http.send("GET", "/api/v1/rules").body)
                        result.withLock {
                            $0.ruleLag.append(lag)
                            if let took { $0.ruleEvaluation.append(took) }
                            for (rule, seconds) in perRule { $0.perRule[rule, default: []].append(seconds) }
                        }
                    }
                }
                usleep(200_000)
            }
        }
        for _ in 0..<queryClients {
            spawn {
                let http = LoopbackHTTPClient(port: port)
                let q = heavyQuery.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? heavyQuery
                while !stop.load(ordering: .relaxed) {
                    let began = Date()
                    guard let r = try? http.send("GET", "/loki/api/v1/query?query=\(q)") else { continue }
                    let d = Date().timeIntervalSince(began)
                    let got = r.status == 200 ? answer(r.body) : nil
                    let exact = got == expected
                    result.withLock {
                        $0.queries += 1
                        $0.queryTimes.append(d)
                        if !exact {
                            if $0.mismatches == 0 {
                                let diff = expected.filter { got?[$0.key] != $0.value }.prefix(5).map { "\($0.key): want \($0.value), got \(got?[$0.key] ?? -1)" }
                                FileHandle.standardError.write(Data("heavy query answer differs (HTTP \(r.status)): \(diff) \(r.text.prefix(200))\n".utf8))
                            }
                            $0.mismatches += 1
                        }
                    }
                }
            }
        }
        usleep(UInt32(seconds * 1e6))
        stop.store(true, ordering: .relaxed)
        done.wait()
        return result.withLock { $0 }
    }

    /// `{rule name: evaluationTime}` of the isolation group in a `/api/v1/rules` answer.
    static func ruleEvaluationTimes(_ body: [UInt8]?) -> [String: Double] {
        guard let body, let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let groups = (json["data"] as? [String: Any])?["groups"] as? [[String: Any]] else { return [:] }
        var out: [String: Double] = [:]
        for g in groups where g["name"] as? String == "isolation" {
            for r in g["rules"] as? [[String: Any]] ?? [] {
                if let name = r["name"] as? String, let t = r["evaluationTime"] as? Double { out[name] = t }
            }
        }
        return out
    }

    /// `{app: value}` of a vector answer.
    static func answer(_ body: [UInt8]) -> [String: Int]? {
        guard let json = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
              let result = (json["data"] as? [String: Any])?["result"] as? [[String: Any]] else { return nil }
        var out: [String: Int] = [:]
        for r in result {
            guard let app = (r["metric"] as? [String: String])?["app"], let v = r["value"] as? [Any],
                  let text = v.last as? String, let n = Double(text) else { return nil }
            out[app] = Int(n)
        }
        return out
    }

    static func emit(_ phase: String, _ p: Phase, rss: Int) {
        LogsIngestBench.emit(["suite": "isolation", "phase": phase, "pushes": p.push.count, "server_rss_mib": rss >> 20,
                              "push_p50_ms": ms(p.push, 0.5), "push_p99_ms": ms(p.push, 0.99),
                              "ready_p99_ms": ms(p.ready, 0.99), "ready_max_ms": ms(p.ready, 1),
                              "rule_evaluations": p.ruleLag.count, "rule_lag_p50_ms": ms(p.ruleLag, 0.5), "rule_lag_p99_ms": ms(p.ruleLag, 0.99),
                              "rule_evaluation_p50_ms": ms(p.ruleEvaluation, 0.5), "rule_evaluation_p99_ms": ms(p.ruleEvaluation, 0.99),
                              "rule_evaluation_p50_ms_by_rule": p.perRule.mapValues { ms($0, 0.5) },
                              "heavy_queries": p.queries, "heavy_query_mismatches": p.mismatches,
                              "load_average": LogsIngestBench.loadAverage()])
    }

    static func percentile(_ xs: [Double], _ p: Double) -> Double { SoakBench.percentile(xs.sorted(), p) }
    static func ms(_ xs: [Double], _ p: Double) -> Double { (percentile(xs, p) * 1e6).rounded() / 1000 }
    static func ratio(_ a: [Double], _ b: [Double], _ p: Double) -> Double { percentile(a, p) / max(percentile(b, p), 1e-6) }
    static func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }
}
