import Foundation
import KansokuCore
import KansokuExplain
import KansokuLogQL
import KansokuLogStore

/// `kansoku-bench explain`: ranking what changed in a 1-hour window of the gen-corpus store,
/// beside the plain error query over the same window (what a user runs without explain), in
/// the same run. The analysis alone (fields, profiles, Drain, counting) is timed apart from
/// the reads: one sampling pass over the window (its error lines and the other lines the
/// ranking compares them with) and one over the hour before; blocks decoded are counted for
/// the plain query and the window's pass.
///
/// Explain reads and ranks as many lines a side as `kansoku explain` does by default
/// (`--sample`), the plain query as many lines as `--limit`.
///
///     kansoku-bench explain --corpus /work/bench/c1g [--work DIR] [--runs 3] [--reuse] [--limit 5000] [--sample 2500]
enum ExplainBench {
    static func run(arguments: [String]) async throws {
        var corpus = "/tmp/c1g", work: String?, runs = 3, reuse = false, limit = 5000, sample = ExplainRequest.defaultSampleLines
        var it = arguments.makeIterator()
        while let a = it.next() {
            switch a {
            case "--corpus": corpus = it.next() ?? corpus
            case "--work": work = it.next()
            case "--runs": runs = max(1, Int(it.next() ?? "") ?? runs)
            case "--reuse": reuse = true
            case "--limit": limit = max(1, Int(it.next() ?? "") ?? limit)
            case "--sample": sample = max(1, Int(it.next() ?? "") ?? sample)
            default: throw LogsQueryBench.BenchError("unknown argument \(a)")
            }
        }
        let fm = FileManager.default
        let files = try fm.contentsOfDirectory(atPath: corpus).filter { $0.hasSuffix(".log") }.sorted()
        guard !files.isEmpty else { throw LogsQueryBench.BenchError("no *.log files in \(corpus)") }
        let storeDir = (work ?? corpus + "-work") + "/store"
        let start: Int64 = 1_704_067_200_000_000_000   // gen-corpus's default --start
        if !(reuse && fm.fileExists(atPath: storeDir)) {
            try? fm.removeItem(atPath: storeDir)
            let store = try LogStore.open(LogStoreConfig(directory: storeDir, fsync: .batch))
            for f in files { _ = try await LogsQueryBench.ingest(file: corpus + "/" + f, store: store, start: start) }
            try await store.close()
        }
        let store = try LogStore.open(LogStoreConfig(directory: storeDir, fsync: .batch))
        let engine = LogQLEngine(store: store)
        let end = start + 3_600_000_000_000
        let query = #"{app=~".+"} |~ "(?i)error|fail""#
        let tenant = LogStore.defaultTenant

        // The plain query: the window's newest `limit` error lines, as Grafana or logcli would read them.
        var plainLines = 0, plainBlocks = 0
        let plain = try await median(runs) {
            let r = try await engine.queryRange(query, tenant: tenant, start: start, end: end, step: LogQLEngine.defaultStep(start: start, end: end),
                                                limit: limit)
            plainLines = LogsQueryBench.lineStrings(r).count
            plainBlocks = r.stats.blocksRead
        }
        // Explain end to end: window and baseline reads, then the ranking.
        let explainer = Explainer(engine: engine, tenant: tenant)
        var request = ExplainRequest(query: query, start: start, end: end)
        request.sampleLines = sample
        var report: ExplainReport?
        let total = try await median(runs) { report = try await explainer.explain(request) }
        // The reads apart (the window's pass, the hour before's), then the ranking alone over lines read once.
        var window: ExplainRead?
        let windowRead = try await median(runs) { window = try await explainer.read(query, start, end, limit: sample, sides: .other) }
        var before: ExplainRead?
        let baselineRead = try await median(runs) { before = try await explainer.read(query, start - (end - start), start, limit: sample, sides: .all) }
        guard let window, let before else { return }
        var analysis = ExplainAnalysis(window: window.matching.lines, baseline: window.other.lines, start: start, end: end)
        analysis.patternBaseline = before.matching.lines
        let fields = LineFields()
        let ranking = try await median(runs) { _ = analysis.run(fields: fields) }
        try await store.close()

        guard let r = report else { return }
        LogsQueryBench.emit(["suite": "explain", "query": query, "window": "1h", "streams": files.count, "limit": limit, "sample_lines": sample,
                             "plain_query_seconds": round3(plain), "plain_query_lines": plainLines,
                             "explain_seconds": round3(total), "ranking_seconds": round3(ranking),
                             "window_read_seconds": round3(windowRead), "baseline_read_seconds": round3(baselineRead),
                             "plain_query_blocks": plainBlocks, "window_blocks_read": window.blocksRead, "window_blocks": window.blocksInRange,
                             "window_lines": r.window.lines, "window_sampled": r.window.sampled,
                             "baseline": r.baseline.kind, "baseline_lines": r.baseline.lines, "baseline_sampled": r.baseline.sampled,
                             "changes": r.changes.count, "patterns": r.patterns.count,
                             "top": r.changes.first.map { "\($0.name)=\($0.value) \(String(format: "%.3f", $0.score))" } ?? "-"])
        LogsQueryBench.emit(["suite": "explain", "summary": true,
                             "ranking_over_plain_query": round3(ranking / plain),
                             "explain_over_plain_query": round3(total / plain),
                             "ranking_adds_less_than_the_query": ranking < plain])
    }

    /// The median wall time of `runs` runs of `body`, in seconds.
    static func median(_ runs: Int, _ body: () async throws -> Void) async throws -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            let t0 = LogsQueryBench.now()
            try await body()
            times.append(LogsQueryBench.now() - t0)
        }
        return times.sorted()[times.count / 2]
    }

    static func round3(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }
}
