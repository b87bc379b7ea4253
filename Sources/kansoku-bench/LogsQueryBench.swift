import Foundation
import KansokuCore
import KansokuLogStore
import KansokuLogQL

/// `kansoku-bench logs-query`: LogQL over a LogStore holding the gen-corpus corpus, each query
/// beside ripgrep over the same lines stored as one zstd file per stream, in the same run.
///
///     gen-corpus --out /tmp/c1g --size 1G --streams 100 --needles 100 --seed 7
///     kansoku-bench logs-query --corpus /tmp/c1g [--work /tmp/c1g-work] [--runs 3] [--reuse]
enum LogsQueryBench {
    struct Options {
        var corpus = "/tmp/c1g"
        var work: String?
        var runs = 3
        var reuse = false
        /// Runs only this LogQL (range query over the corpus) and prints its timing and stats.
        var query: String?
    }

    static func run(arguments: [String]) async throws {
        var o = Options()
        var it = arguments.makeIterator()
        while let a = it.next() {
            switch a {
            case "--corpus": o.corpus = it.next() ?? o.corpus
            case "--work": o.work = it.next()
            case "--runs": o.runs = Int(it.next() ?? "") ?? o.runs
            case "--reuse": o.reuse = true
            case "--query": o.query = it.next()
            default: throw BenchError("unknown argument \(a)")
            }
        }
        let work = o.work ?? o.corpus + "-work"
        let fm = FileManager.default
        guard fm.fileExists(atPath: o.corpus) else {
            throw BenchError("corpus \(o.corpus) not found; create it with: gen-corpus --out \(o.corpus) --size 1G --streams 100 --needles 100 --seed 7")
        }
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: o.corpus + ".needles.json"))) as? [String: Any]
        guard let token = manifest?["token"] as? String else { throw BenchError("no token in \(o.corpus).needles.json") }
        let files = try fm.contentsOfDirectory(atPath: o.corpus).filter { $0.hasSuffix(".log") }.sorted()
        guard !files.isEmpty else { throw BenchError("no *.log files in \(o.corpus)") }

        // 1. The peer's copy: one .zst per stream, zstd -3.
        let zstDir = work + "/zst"
        try fm.createDirectory(atPath: zstDir, withIntermediateDirectories: true)
        var zstSeconds = 0.0
        for f in files where !fm.fileExists(atPath: zstDir + "/" + f + ".zst") || !o.reuse {
            let t0 = now()
            _ = try shell(["zstd", "-3", "-q", "-f", "-o", zstDir + "/" + f + ".zst", o.corpus + "/" + f])
            zstSeconds += now() - t0
        }

        // 2. Kansoku's copy: every line ingested into a LogStore (ts = start + i × 10 ms per
        //    stream, the corpus's 100 lines/s), closed, then reopened so reads come from disk.
        let storeDir = work + "/store"
        var rawBytes = 0, lines = 0
        var ingestSeconds = 0.0
        let start: Int64 = 1_704_067_200_000_000_000 // gen-corpus's default --start
        var maxTs = start
        if !(o.reuse && fm.fileExists(atPath: storeDir)) {
            try? fm.removeItem(atPath: storeDir)
            let store = try LogStore.open(LogStoreConfig(directory: storeDir, fsync: .batch))
            let t0 = now()
            try await withThrowingTaskGroup(of: (Int, Int, Int64).self) { group in
                var next = 0
                let corpus = o.corpus
                func add(_ f: String) {
                    let path = corpus + "/" + f
                    group.addTask { try await ingest(file: path, store: store, start: start) }
                }
                while next < min(4, files.count) { add(files[next]); next += 1 }
                while let (b, n, last) = try await group.next() {
                    rawBytes += b; lines += n; maxTs = max(maxTs, last)
                    if next < files.count { add(files[next]); next += 1 }
                }
            }
            try await store.close()
            ingestSeconds = now() - t0
        } else {
            for f in files {
                let n = try lineCount(o.corpus + "/" + f)
                lines += n
                maxTs = max(maxTs, start + Int64(n - 1) * 10_000_000)
                rawBytes += Int((try fm.attributesOfItem(atPath: o.corpus + "/" + f)[.size] as? NSNumber)?.intValue ?? 0)
            }
        }
        let store = try LogStore.open(LogStoreConfig(directory: storeDir, fsync: .batch))
        let engine = LogQLEngine(store: store)
        let end = maxTs + 1
        let storeBytes = try directorySize(storeDir), zstBytes = try directorySize(zstDir)
        emit(["suite": "logs-query", "phase": "setup", "streams": files.count, "lines": lines, "raw_bytes": rawBytes,
              "ingest_seconds": round3(ingestSeconds), "ingest_mb_per_s": ingestSeconds > 0 ? round3(Double(rawBytes) / 1e6 / ingestSeconds) : 0,
              "store_bytes": storeBytes, "zst_bytes": zstBytes, "zstd_seconds": round3(zstSeconds)])

        if let q = o.query {
            var stats = QueryStats()
            let (t, rss) = try await timed(o.runs) {
                let r = try await engine.queryRange(q, tenant: LogStore.defaultTenant, start: start, end: end,
                                                    step: LogQLEngine.defaultStep(start: start, end: end), limit: 1000)
                stats = r.stats
            }
            emit(["suite": "logs-query", "query": q, "kansoku_seconds": round3(t), "peak_rss_mb": round3(rss)].merging(statsJSON(stats)) { a, _ in a })
            return
        }
        var summary: [String: Any] = ["suite": "logs-query", "summary": true]
        let zstFiles = files.map { zstDir + "/" + $0 + ".zst" }

        // 3a. Needle in the haystack.
        do {
            var stats = QueryStats()
            let q = "{app=~\".+\"} |= \"\(token)\""
            var got: [String] = []
            let (ours, rss) = try await timed(o.runs) {
                let r = try await engine.queryRange(q, tenant: LogStore.defaultTenant, start: start, end: end, step: 0, limit: 10_000)
                got = lineStrings(r)
                stats = r.stats
            }
            var peer: [String] = []
            let theirs = try timedSync(o.runs) { peer = try shell(["rg", "-z", "-F", "--no-filename", "-N", token] + zstFiles, okStatus: [0, 1]).lines }
            report(&summary, "needle", q, "rg -z -F", ours, theirs, rss, got.sorted() == peer.sorted(), got.count, target: 10, stats: stats)
        }

        // 3b. One stream of 100.
        do {
            var stats = QueryStats()
            let pick = files[files.count / 2]
            let base = String(pick.dropLast(4))
            guard let dash = base.lastIndex(of: "-") else { throw BenchError("unexpected file name \(pick)") }
            let app = String(base[..<dash]), host = String(base[base.index(after: dash)...])
            let q = "{app=\"\(app)\", host=\"\(host)\"} |= \"error\""
            var got: [String] = []
            let (ours, rss) = try await timed(o.runs) {
                let r = try await engine.queryRange(q, tenant: LogStore.defaultTenant, start: start, end: end, step: 0, limit: 10_000_000)
                got = lineStrings(r)
                stats = r.stats
            }
            var peer: [String] = []
            let prefix = zstDir + "/" + pick + ".zst:"
            let theirs = try timedSync(o.runs) {
                peer = try shell(["rg", "-z", "-F", "--with-filename", "-N", "error"] + zstFiles, okStatus: [0, 1]).lines
            }
            let peerStream = peer.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }
            report(&summary, "one_stream", q, "rg -z -F (all files)", ours, theirs, rss, got.sorted() == peerStream.sorted(), got.count, target: 20, stats: stats)
        }

        // 3c. Full scan, counting lines.
        do {
            var stats = QueryStats()
            let rangeSec = (end - start) / 1_000_000_000 + 60
            let q = "sum(count_over_time({app=~\".+\"} |~ \"(?i)timeout\" [\(rangeSec)s]))"
            var count = 0.0
            let (ours, rss) = try await timed(o.runs) {
                let r = try await engine.queryInstant(q, tenant: LogStore.defaultTenant, time: end)
                if case .vector(let v) = r.data { count = v.first?.value ?? 0 }
                stats = r.stats
            }
            var peerCount = 0
            let theirs = try timedSync(o.runs) {
                peerCount = try rgCount(["rg", "-z", "-c", "-i", "--no-filename", "timeout"] + zstFiles)
            }
            report(&summary, "full_scan_count", q, "rg -z -c -i", ours, theirs, rss, Int(count) == peerCount, Int(count), target: 1, stats: stats)
        }

        // 3d. Log volume by app over the whole range.
        do {
            var stats = QueryStats()
            let q = "sum by (app) (count_over_time({app=~\".+\"} |= \"error\" [5m]))"
            let step: Int64 = 300_000_000_000
            var total = 0.0
            let (ours, rss) = try await timed(o.runs) {
                // steps equal the range, so the windows partition (start - 5m, last step]
                (total, stats) = try await matrixTotal(engine, q, start: start, end: end + step, step: step)
            }
            var peerCount = 0
            let theirs = try timedSync(o.runs) {
                peerCount = try rgCount(["rg", "-z", "-c", "-F", "--no-filename", "error"] + zstFiles)
            }
            report(&summary, "volume_by_app", q, "rg -z -c -F", ours, theirs, rss, Int(total) == peerCount, Int(total), target: nil, stats: stats)

            // The plain scan of the same blocks: one window, one series, the same filter.
            var plainStats = QueryStats()
            let rangeSec = (end - start) / 1_000_000_000 + 60
            let plain = "sum(count_over_time({app=~\".+\"} |= \"error\" [\(rangeSec)s]))"
            var plainCount = 0.0
            let (plainSeconds, plainRSS) = try await timed(o.runs) {
                let r = try await engine.queryInstant(plain, tenant: LogStore.defaultTenant, time: end)
                if case .vector(let v) = r.data { plainCount = v.first?.value ?? 0 }
                plainStats = r.stats
            }
            report(&summary, "plain_scan", plain, "rg -z -c -F", plainSeconds, theirs, plainRSS, Int(plainCount) == peerCount, Int(plainCount),
                   target: nil, stats: plainStats)
            summary["volume_by_app_vs_plain_scan"] = round3(ours / max(plainSeconds, 1e-9))
        }

        // 3e. Line volume by app without a filter: block facts, no decompression.
        do {
            var stats = QueryStats()
            let q = "sum by (app) (count_over_time({app=~\".+\"}[5m]))"
            let step: Int64 = 300_000_000_000
            var total = 0.0
            let (ours, rss) = try await timed(o.runs) {
                (total, stats) = try await matrixTotal(engine, q, start: start, end: end + step, step: step)
            }
            var peerCount = 0
            let theirs = try timedSync(o.runs) {
                peerCount = try rgCount(["rg", "-z", "-c", "--no-filename", ""] + zstFiles)
            }
            report(&summary, "lines_by_app", q, "rg -z -c ''", ours, theirs, rss, Int(total) == peerCount && peerCount == lines, Int(total),
                   target: nil, stats: stats)
        }
        emit(summary)
    }

    // MARK: - pieces

    struct BenchError: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    static func ingest(file: String, store: LogStore, start: Int64) async throws -> (Int, Int, Int64) {
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        let name = (file as NSString).lastPathComponent.dropLast(4)
        guard let dash = name.lastIndex(of: "-") else { throw BenchError("unexpected file name \(file)") }
        let labels = Labels(["app": String(name[..<dash]), "host": String(name[name.index(after: dash)...])])
        var batch: [LogEntry] = []
        batch.reserveCapacity(4096)
        var n = 0
        var ts = start
        let raw = [UInt8](data)
        var s = 0
        for i in 0..<raw.count where raw[i] == 0x0A {
            batch.append(LogEntry(timestamp: ts, line: Array(raw[s..<i])))
            ts += 10_000_000
            n += 1
            s = i + 1
            if batch.count == 4096 {
                _ = try await store.append([StreamBatch(labels: labels, entries: batch)])
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { _ = try await store.append([StreamBatch(labels: labels, entries: batch)]) }
        return (data.count, n, ts - 10_000_000)
    }

    static func lineStrings(_ r: LogQLResult) -> [String] {
        guard case .streams(let ss) = r.data else { return [] }
        return ss.flatMap { $0.entries.map { String(decoding: $0.line, as: UTF8.self) } }
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Resets the kernel's peak-RSS mark, so each query's peak is its own.
    static func resetPeakRSS() {
        if let fh = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
            fh.write(Data("5".utf8))
            try? fh.close()
        }
    }

    static func peakRSSMB() -> Double {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
            return kb / 1024
        }
        return 0
    }

    /// Best of `runs` wall times, and the peak RSS seen while running.
    /// The sum of every point of a range query's matrix, with its statistics.
    static func matrixTotal(_ engine: LogQLEngine, _ q: String, start: Int64, end: Int64, step: Int64) async throws -> (Double, QueryStats) {
        let r = try await engine.queryRange(q, tenant: LogStore.defaultTenant, start: start, end: end, step: step)
        var total = 0.0
        if case .matrix(let m) = r.data { for s in m { for p in s.points { total += p.value } } }
        return (total, r.stats)
    }

    /// Matching lines over all files, from `rg -c` (its status 1 means none matched).
    static func rgCount(_ args: [String]) throws -> Int {
        try shell(args, okStatus: [0, 1]).lines.reduce(0) { $0 + (Int($1) ?? 0) }
    }

    static func timed(_ runs: Int, _ body: () async throws -> Void) async throws -> (Double, Double) {
        resetPeakRSS()
        var best = Double.infinity
        for _ in 0..<max(1, runs) {
            let t0 = now()
            try await body()
            best = min(best, now() - t0)
        }
        return (best, peakRSSMB())
    }

    static func timedSync(_ runs: Int, _ body: () throws -> Void) throws -> Double {
        var best = Double.infinity
        for _ in 0..<max(1, runs) {
            let t0 = now()
            try body()
            best = min(best, now() - t0)
        }
        return best
    }

    static func report(_ summary: inout [String: Any], _ name: String, _ q: String, _ peer: String, _ ours: Double, _ theirs: Double,
                       _ rss: Double, _ equal: Bool, _ matches: Int, target: Double?, stats: QueryStats) {
        let ratio = theirs / max(ours, 1e-9)
        if !equal { BenchOracle.mismatch("logs-query", "\(name) (\(q)): results differ from \(peer)") }
        var row: [String: Any] = statsJSON(stats)
        row.merge(["suite": "logs-query", "query": name, "logql": q, "peer": peer,
                                  "kansoku_seconds": round3(ours), "peer_seconds": round3(theirs), "ratio": round3(ratio),
                                  "results_equal": equal, "matches": matches, "peak_rss_mb": round3(rss)]) { _, b in b }
        if let target { row["target_ratio"] = target; row["meets_target"] = ratio >= target }
        emit(row)
        summary["\(name)_ratio"] = round3(ratio)
        summary["\(name)_seconds"] = round3(ours)
        summary["\(name)_equal"] = equal
        summary["\(name)_peak_rss_mb"] = round3(rss)
    }

    static func statsJSON(_ s: QueryStats) -> [String: Any] {
        ["blocks_read": s.blocksRead, "blocks_skipped_bloom": s.blocksSkippedByBloom, "blocks_skipped_limit": s.blocksSkippedByLimit,
         "chunks_decompressed": s.chunksDecompressed, "bytes_processed": s.bytesProcessed, "lines_processed": s.linesProcessed,
         "streams_matched": s.streamsMatched]
    }

    static func round3(_ v: Double) -> Double { (v * 1000).rounded() / 1000 }

    static func emit(_ obj: [String: Any]) {
        if let d = try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]) {
            print(String(decoding: d, as: UTF8.self))
        }
    }

    struct ShellOutput {
        let data: Data
        var lines: [String] {
            String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        }
    }

    static func shell(_ args: [String], okStatus: Set<Int32> = [0]) throws -> ShellOutput {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard okStatus.contains(p.terminationStatus) else { throw BenchError("\(args.joined(separator: " ")) exited \(p.terminationStatus)") }
        return ShellOutput(data: data)
    }

    static func lineCount(_ path: String) throws -> Int {
        let d = try Data(contentsOf: URL(fileURLWithPath: path))
        return d.withUnsafeBytes { raw in
            var n = 0
            for b in raw where b == 0x0A { n &+= 1 }
            return n
        }
    }

    static func directorySize(_ dir: String) throws -> Int {
        var total = 0
        if let e = FileManager.default.enumerator(atPath: dir) {
            while let f = e.nextObject() as? String {
                if let s = try? FileManager.default.attributesOfItem(atPath: dir + "/" + f)[.size] as? NSNumber { total += s.intValue }
            }
        }
        return total
    }
}
