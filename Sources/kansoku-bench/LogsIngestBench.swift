import Foundation
import KansokuCore
import KansokuLogStore

/// `kansoku-bench logs-ingest --corpus DIR`: ingests every `<app>-<host>.log` of a gen-corpus
/// folder as its own stream (labels app, host) through the WAL (group commit, fsync) into
/// blocks and chunks, then runs `zstd -3` on the same bytes cut into 1 MiB pieces and prints
/// throughput, bytes on disk and peak RSS side by side. The store folder is sampled every
/// second: the WAL must stay bounded while chunks grow.
///
/// Timestamps: the folder form of gen-corpus writes each line's time inside the line in the
/// app's own format. With `--timestamps FILE.jsonl` (the same corpus generated as Loki push
/// bodies: same arguments, `--out FILE.jsonl`) the bench reads every line's real timestamp
/// from it first (not timed). Without it, line i of every stream gets the synthetic time
/// 2024-01-01T00:00:00Z + i × 10 ms (gen-corpus's default 100 lines/s per stream), which
/// keeps file order and spans the same ~24 minutes the generated lines do.
///
/// Options: `--data DIR` (store folder; default a fresh one under /tmp, removed afterwards),
/// `--fsync batch|always|never` (WAL sync mode, default batch = group commit), `--workers N` (concurrent appenders, default one per file, as a tailer reads every file), `--read-size BYTES` (bytes per append per
/// stream, default 1 MiB), `--keep` (keep the store and the zstd pieces).
enum LogsIngestBench {
    static let step: Int64 = 10_000_000
    static let start: Int64 = 1_704_067_200 * 1_000_000_000

    static func run(arguments: [String]) async throws {
        var corpus: String?
        var dataDir: String?
        var workers = 0
        var readSize = 1 << 20
        var keep = false
        var fsync = FsyncMode.batch
        var timestampsFile: String?
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            func value() throws -> String {
                i += 1
                guard i < arguments.count else { throw BenchError.usage("\(a) needs a value") }
                return arguments[i]
            }
            switch a {
            case "--corpus": corpus = try value()
            case "--data": dataDir = try value()
            case "--workers": workers = max(1, Int(try value()) ?? 1)
            case "--read-size": readSize = max(4096, Int(try value()) ?? readSize)
            case "--keep": keep = true
            case "--timestamps": timestampsFile = try value()
            case "--fsync":
                guard let m = FsyncMode(rawValue: try value()) else { throw BenchError.usage("--fsync batch|always|never") }
                fsync = m
            default: throw BenchError.usage("unknown option \(a)")
            }
            i += 1
        }
        guard let corpus else { throw BenchError.usage("--corpus DIR is required (a gen-corpus output folder)") }
        let fm = FileManager.default
        let files = try fm.contentsOfDirectory(atPath: corpus).filter { $0.hasSuffix(".log") }.sorted()
        guard !files.isEmpty else { throw BenchError.usage("no *.log files in \(corpus)") }
        var rawBytes = 0
        for f in files { rawBytes += (try fm.attributesOfItem(atPath: corpus + "/" + f)[.size] as? Int) ?? 0 }
        let scratch = dataDir ?? NSTemporaryDirectory() + "kansoku-logs-ingest-\(getpid())"
        try? fm.removeItem(atPath: scratch)
        try fm.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let storeDir = scratch + "/store"
        if workers == 0 { workers = files.count }

        var times: [String: [Int64]] = [:]
        if let timestampsFile { times = try readTimestamps(timestampsFile) }
        emit(["suite": "logs-ingest", "phase": "setup", "corpus": corpus, "streams": files.count, "raw_bytes": rawBytes,
              "workers": workers, "read_size": readSize, "fsync": fsync.rawValue, "load_average": loadAverage(),
              "timestamps": timestampsFile.map { "from \($0) (\(times.values.reduce(0) { $0 + $1.count }) lines)" }
                ?? "synthetic: 2024-01-01T00:00:00Z + line index x 10 ms per stream (gen-corpus default rate)"])
        let streamTimes = times

        // zstd -3 on the same bytes in 1 MiB pieces: split each stream, compress all pieces.
        let pieces = scratch + "/pieces"
        try fm.createDirectory(atPath: pieces, withIntermediateDirectories: true)
        for (n, f) in files.enumerated() {
            try shell("/usr/bin/split", ["-b", "1M", "-a", "4", corpus + "/" + f, pieces + "/s\(n)-"])
        }
        let pieceNames = try fm.contentsOfDirectory(atPath: pieces).sorted()
        let before = try zstdPieces(pieces: pieces, names: pieceNames, rawBytes: rawBytes, run: 1)

        // Ingest.
        let store = try LogStore.open(LogStoreConfig(directory: storeDir, fsync: fsync))
        let sampler = DataDirSampler(suite: "logs-ingest", logsDir: storeDir, pid: getpid())
        sampler.start()
        let clock = ContinuousClock()
        let cpuBefore = cpuSeconds(RUSAGE_SELF)
        let began = clock.now
        let (folder, size, workerCount) = (corpus, readSize, workers)
        let counts = try await withThrowingTaskGroup(of: (lines: Int, bytes: Int).self) { group in
            for w in 0..<workerCount {
                let mine = stride(from: w, to: files.count, by: workerCount).map { files[$0] }
                group.addTask { try await ingest(files: mine, corpus: folder, store: store, readSize: size, times: streamTimes) }
            }
            var total = (lines: 0, bytes: 0)
            for try await c in group { total.lines += c.lines; total.bytes += c.bytes }
            return total
        }
        let acked = clock.now - began
        try await store.close()
        let ingestTime = clock.now - began
        sampler.stop()
        let samples = sampler.samples
        let ingestCPU = cpuSeconds(RUSAGE_SELF) - cpuBefore
        let seconds = ingestTime.seconds
        let disk = diskUsage(storeDir)
        let (blockCount, filterBytes) = filterStats(storeDir)
        let rss = peakRSS()
        let ingestMBs = Double(counts.bytes) / 1e6 / seconds
        emit(["suite": "logs-ingest", "phase": "ingest", "lines": counts.lines, "raw_bytes": counts.bytes,
              "seconds": round3(seconds), "seconds_until_all_acknowledged": round3(acked.seconds),
              "mb_per_s": round1(ingestMBs), "lines_per_s": Int(Double(counts.lines) / seconds),
              "bytes_on_disk": disk.total, "segment_bytes": disk.segments, "index_bytes": disk.index, "wal_bytes": disk.wal,
              "cpu_seconds": round3(ingestCPU), "blocks": blockCount, "filter_bytes": filterBytes,
              "compression_ratio": round2(Double(counts.bytes) / Double(max(1, disk.total))),
              "peak_rss_bytes": rss, "load_average": loadAverage(),
              "max_data_dir_bytes": samples.map(\.total).max() ?? 0, "max_wal_bytes": samples.map(\.wal).max() ?? 0,
              "final_chunk_bytes": disk.segments, "samples": samples.count, "bound_violations": samples.boundViolations,
              "bound": "store dir <= 2 x chunk bytes + 64 MiB at every sample (1 s)"])

        // zstd -3 again, after the ingest: the baseline is the mean of the runs before and after,
        // so a change of machine load during the run biases neither side.
        let after = try zstdPieces(pieces: pieces, names: pieceNames, rawBytes: rawBytes, run: 2)
        let zSeconds = (before.seconds + after.seconds) / 2
        let zCPU = (before.cpu + after.cpu) / 2
        let zBytes = after.bytes
        let zMBs = Double(rawBytes) / 1e6 / zSeconds
        let throughputRatio = ingestMBs / zMBs
        let diskRatio = Double(disk.total) / Double(max(1, zBytes))
        emit(["suite": "logs-ingest", "summary": true,
              "ingest_mb_per_s": round1(ingestMBs), "zstd3_mb_per_s": round1(zMBs),
              "throughput_vs_zstd3": round3(throughputRatio), "throughput_target": ">= 0.5",
              "cpu_seconds": round3(ingestCPU), "zstd3_cpu_seconds": round3(zCPU),
              "cpu_per_byte_vs_zstd3": round3(ingestCPU / max(0.001, zCPU)),
              "disk_bytes": disk.total, "zstd3_bytes": zBytes,
              "disk_vs_zstd3": round3(diskRatio), "disk_target": "<= 1.1",
              "peak_rss_mib": round1(Double(rss) / 1_048_576), "rss_target": "< 1024",
              "targets_met": throughputRatio >= 0.5 && diskRatio <= 1.1 && rss < 1 << 30])
        if !keep { try? fm.removeItem(atPath: scratch) }
    }

    /// Tails `files` round-robin, `readSize` bytes of one file per append, as a tailer would:
    /// each read buffer goes to the store as one packed batch (no allocation per line).
    static func ingest(files: [String], corpus: String, store: LogStore, readSize: Int,
                       times: [String: [Int64]]) async throws -> (lines: Int, bytes: Int) {
        var handles: [(fd: Int32, labels: Labels, carry: [UInt8], index: Int64, times: [Int64])] = []
        for f in files {
            let fd = open(corpus + "/" + f, O_RDONLY)
            guard fd >= 0 else { throw BenchError.io("cannot open \(f)") }
            let base = String(f.dropLast(4))
            let dash = base.lastIndex(of: "-") ?? base.endIndex
            let app = String(base[..<dash]), host = dash < base.endIndex ? String(base[base.index(after: dash)...]) : ""
            handles.append((fd, Labels(["app": app, "host": host]), [], 0, times[base] ?? []))
        }
        defer { for h in handles { close(h.fd) } }
        var lines = 0, bytes = 0
        // One batch per file in flight while the next is read and submitted (order is fixed at
        // submit); each is acknowledged only once durable.
        var inFlight: [Int: AppendTicket] = [:]
        var active = Array(handles.indices)
        while !active.isEmpty {
            var still: [Int] = []
            for h in active {
                // The new buffer starts with the previous read's unfinished line.
                let carry = handles[h].carry
                let carried = carry.count
                var n = 0
                let buffer = [UInt8](unsafeUninitializedCapacity: carried + readSize) { out, count in
                    carry.withUnsafeBufferPointer { c in _ = out.initialize(from: c) }
                    n = read(handles[h].fd, out.baseAddress! + carried, readSize)
                    count = carried + max(0, n)
                }
                let filled = buffer.count
                guard filled > 0 else { continue }
                if n > 0 { still.append(h) }
                var timestamps: [Int64] = [], starts: [Int] = [], ends: [Int] = []
                timestamps.reserveCapacity(filled / 100)
                starts.reserveCapacity(filled / 100)
                ends.reserveCapacity(filled / 100)
                var lineStart = 0
                var index = handles[h].index
                buffer.withUnsafeBytes { buf in
                    let base = buf.baseAddress!
                    while lineStart < filled, let hit = memchr(base + lineStart, 0x0A, filled - lineStart) {
                        let i = base.distance(to: UnsafeRawPointer(hit))
                        timestamps.append(index < handles[h].times.count ? handles[h].times[Int(index)] : start + index * step)
                        starts.append(lineStart)
                        ends.append(i)
                        index += 1
                        lineStart = i + 1
                    }
                    if n <= 0 && lineStart < filled {       // last line without a newline
                        timestamps.append(index < handles[h].times.count ? handles[h].times[Int(index)] : start + index * step)
                        starts.append(lineStart)
                        ends.append(filled)
                        index += 1
                        lineStart = filled
                    }
                }
                handles[h].carry = Array(buffer[lineStart..<filled])
                handles[h].index = index
                let count = timestamps.count
                guard count > 0 else { continue }
                let batch = PackedBatch(labels: handles[h].labels, timestamps: timestamps, bytes: buffer,
                                        lineStarts: starts, lineEnds: ends)
                let ticket = try store.submit(packed: [batch])
                if let previous = inFlight.updateValue(ticket, forKey: h) {
                    let r = try await store.waitDurable(previous)
                    guard r.rejected.isEmpty else { throw BenchError.io("rejected: \(r.rejected[0].reason)") }
                }
                lines += count
                bytes += lineStart
            }
            active = still
        }
        for ticket in inFlight.values {
            let r = try await store.waitDurable(ticket)
            guard r.rejected.isEmpty else { throw BenchError.io("rejected: \(r.rejected[0].reason)") }
        }
        return (lines, bytes)
    }

    /// Every line's timestamp per stream (`app-host`), from gen-corpus's JSON-lines form:
    /// `{"streams":[{"stream":{"app":..,"host":..},"values":[["<ns>","<line>"],..]}]}`.
    /// Inside JSON strings a quote is escaped, so `["` followed by digits is always a value's start.
    static func readTimestamps(_ path: String) throws -> [String: [Int64]] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw BenchError.io("cannot open \(path)") }
        defer { close(fd) }
        var out: [String: [Int64]] = [:]
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8 << 20)
        func field(_ name: String, in line: UnsafeRawBufferPointer) -> String? {
            let key = Array("\"\(name)\":\"".utf8)
            guard line.count > key.count else { return nil }
            for i in 0...(line.count - key.count) where line[i] == 0x22 {
                if (0..<key.count).allSatisfy({ line[i + $0] == key[$0] }) {
                    var j = i + key.count
                    while j < line.count && line[j] != 0x22 { j += 1 }
                    return String(decoding: UnsafeRawBufferPointer(rebasing: line[(i + key.count)..<j]), as: UTF8.self)
                }
            }
            return nil
        }
        func parse(_ line: UnsafeRawBufferPointer) {
            guard let app = field("app", in: line), let host = field("host", in: line) else { return }
            var list = out.removeValue(forKey: app + "-" + host) ?? []
            var i = 0
            while i + 2 < line.count {
                if line[i] == 0x5B && line[i + 1] == 0x22 && line[i + 2] >= 0x30 && line[i + 2] <= 0x39 {
                    var j = i + 2
                    var v: Int64 = 0
                    while j < line.count && line[j] >= 0x30 && line[j] <= 0x39 { v = v &* 10 &+ Int64(line[j] - 0x30); j += 1 }
                    list.append(v)
                    i = j
                } else {
                    i += 1
                }
            }
            out[app + "-" + host] = list
        }
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            pending.append(contentsOf: chunk[0..<n])
            var lineStart = 0
            pending.withUnsafeBytes { all in
                while let nl = memchr(all.baseAddress! + lineStart, 0x0A, all.count - lineStart) {
                    let end = all.baseAddress!.distance(to: UnsafeRawPointer(nl))
                    parse(UnsafeRawBufferPointer(rebasing: all[lineStart..<end]))
                    lineStart = end + 1
                    if lineStart >= all.count { break }
                }
            }
            pending.removeFirst(lineStart)
        }
        if !pending.isEmpty { pending.withUnsafeBytes { parse($0) } }
        return out
    }

    /// Times one `zstd -3 -q` over all pieces; returns wall and CPU seconds and output bytes.
    static func zstdPieces(pieces: String, names: [String], rawBytes: Int, run: Int) throws -> (seconds: Double, cpu: Double, bytes: Int) {
        let fm = FileManager.default
        let clock = ContinuousClock()
        let cpuBefore = cpuSeconds(RUSAGE_CHILDREN)
        let began = clock.now
        try shell("/usr/bin/env", ["zstd", "-3", "-q", "-f"] + names.map { pieces + "/" + $0 })
        let seconds = (clock.now - began).seconds
        let cpu = cpuSeconds(RUSAGE_CHILDREN) - cpuBefore
        var bytes = 0
        for n in try fm.contentsOfDirectory(atPath: pieces) where n.hasSuffix(".zst") {
            bytes += (try fm.attributesOfItem(atPath: pieces + "/" + n)[.size] as? Int) ?? 0
        }
        emit(["suite": "logs-ingest", "phase": "zstd-3-1MiB-pieces", "run": run, "pieces": names.count,
              "seconds": round3(seconds), "cpu_seconds": round3(cpu), "mb_per_s": round1(Double(rawBytes) / 1e6 / seconds),
              "bytes": bytes, "compression_ratio": round2(Double(rawBytes) / Double(max(1, bytes))),
              "load_average": loadAverage()])
        return (seconds, cpu, bytes)
    }

    static func filterStats(_ dir: String) -> (blocks: Int, filterBytes: Int) {
        guard let store = try? LogStore.open(LogStoreConfig(directory: dir)) else { return (0, 0) }
        var blocks = 0, bytes = 0
        for s in store.streams(tenant: LogStore.defaultTenant, matchers: [], from: .min, through: .max) {
            for b in store.blocks(tenant: LogStore.defaultTenant, stream: s.id, from: .min, through: .max) {
                blocks += 1
                bytes += b.filterSize
            }
        }
        return (blocks, bytes)
    }

    static func diskUsage(_ dir: String) -> (total: Int, segments: Int, index: Int, wal: Int) {
        var total = 0, segments = 0, index = 0, wal = 0
        let fm = FileManager.default
        guard let e = fm.enumerator(atPath: dir) else { return (0, 0, 0, 0) }
        while let rel = e.nextObject() as? String {
            guard let attrs = try? fm.attributesOfItem(atPath: dir + "/" + rel),
                  attrs[.type] as? FileAttributeType == .typeRegular, let size = attrs[.size] as? Int else { continue }
            total += size
            if rel.hasSuffix(".seg") { segments += size } else if rel.hasSuffix("/index") { index += size } else if rel.hasSuffix(".wal") { wal += size }
        }
        return (total, segments, index, wal)
    }

    static func peakRSS() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
            return kb * 1024
        }
        return 0
    }

    /// User plus system CPU time of this process (all threads) or of its waited-for children.
    static func cpuSeconds(_ who: __rusage_who) -> Double {
        var u = rusage()
        getrusage(__rusage_who_t(who.rawValue), &u)
        return Double(u.ru_utime.tv_sec) + Double(u.ru_utime.tv_usec) / 1e6
            + Double(u.ru_stime.tv_sec) + Double(u.ru_stime.tv_usec) / 1e6
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? ""
    }

    static func shell(_ tool: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw BenchError.io("\(tool) \(args.prefix(3).joined(separator: " ")) … exited \(p.terminationStatus)") }
    }

    static func emit(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    static func round1(_ x: Double) -> Double { (x * 10).rounded() / 10 }
    static func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }
    static func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

    enum BenchError: Error, CustomStringConvertible {
        case usage(String)
        case io(String)
        var description: String {
            switch self {
            case .usage(let m): return "usage: \(m)"
            case .io(let m): return m
            }
        }
    }
}

extension Duration {
    fileprivate var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
