import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The corpus as push material: per stream, its lines already escaped for a JSON string,
/// back to back, with their offsets (no array per line).
struct SoakCorpus: Sendable {
    struct Stream: Sendable {
        var labels: [UInt8]          // `{"app":"…","host":"…"}`
        var escaped: [UInt8]
        var ends: [Int]
    }
    var streams: [Stream]
    var rawBytes: Int

    static func load(_ folder: String) throws -> SoakCorpus {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".log") }.sorted()
        guard !files.isEmpty else { throw LogsIngestBench.BenchError.usage("no *.log files in \(folder)") }
        var streams: [Stream] = []
        var raw = 0
        for f in files {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + f)))
            raw += bytes.count
            let base = String(f.dropLast(4))
            let dash = base.lastIndex(of: "-") ?? base.endIndex
            let app = base[..<dash], host = dash < base.endIndex ? base[base.index(after: dash)...] : ""
            var s = Stream(labels: Array("{\"app\":\"\(app)\",\"host\":\"\(host)\"}".utf8), escaped: [], ends: [])
            s.escaped.reserveCapacity(bytes.count + bytes.count / 16)
            for b in bytes {
                switch b {
                case 0x0A: s.ends.append(s.escaped.count)
                case 0x22: s.escaped += [0x5C, 0x22]
                case 0x5C: s.escaped += [0x5C, 0x5C]
                case 0x00..<0x20: s.escaped += Array(String(format: "\\u%04x", b).utf8)
                default: s.escaped.append(b)
                }
            }
            if s.ends.last != s.escaped.count { s.ends.append(s.escaped.count) }
            streams.append(s)
        }
        return SoakCorpus(streams: streams, rawBytes: raw)
    }
}

/// What one client's pushes added up to.
struct PushTally: Sendable {
    var pushes = 0
    var errors = 0
    var firstError: String?
    var lines = 0
    var bytes = 0
    var latencies: [Double] = []
    var firstTimestamp = Int64.max
    var lastTimestamp = Int64.min

    mutating func merge(_ o: PushTally) {
        pushes += o.pushes
        errors += o.errors
        firstError = firstError ?? o.firstError
        lines += o.lines
        bytes += o.bytes
        latencies += o.latencies
        firstTimestamp = min(firstTimestamp, o.firstTimestamp)
        lastTimestamp = max(lastTimestamp, o.lastTimestamp)
    }
}

/// Runs `clients` pushers, each on a thread of its own (they block on their sockets, so on
/// the cooperative pool only as many as there are cores would run), and adds up their tallies.
func runPushers(clients: Int, _ make: @escaping @Sendable (Int) -> SoakPusher, until deadline: Date) -> PushTally {
    let total = Mutex(PushTally())
    let done = DispatchGroup()
    for c in 0..<clients {
        done.enter()
        Thread {
            let t = make(c).run(until: deadline)
            total.withLock { $0.merge(t) }
            done.leave()
        }.start()
    }
    done.wait()
    return total.withLock { $0 }
}

/// One push client on its own thread: streams `client`, `client + clients`, … of the corpus,
/// `streamsPerPush` of them per body, `lines` lines each, timestamps from the wall clock and
/// strictly increasing per stream.
struct SoakPusher {
    let client: Int
    let of: Int
    let corpus: SoakCorpus
    let port: Int
    let lines: Int
    let streamsPerPush: Int
    let once: Bool
    let bytesPerSecond: Double

    func run(until deadline: Date) -> PushTally {
        let began = Date()
        let mine = Array(stride(from: client, to: corpus.streams.count, by: of))
        var cursor = [Int](repeating: 0, count: mine.count)
        var last = [Int64](repeating: 0, count: mine.count)
        var done = Set<Int>()
        var tally = PushTally()
        let http = LoopbackHTTPClient(port: port)
        var next = 0
        var body: [UInt8] = []
        while Date() < deadline && done.count < mine.count {
            body.removeAll(keepingCapacity: true)
            body += Array("{\"streams\":[".utf8)
            var lineCount = 0, lineBytes = 0
            var picked = 0
            var tries = 0
            while picked < streamsPerPush && tries < mine.count {
                let k = next % mine.count
                next += 1
                tries += 1
                if done.contains(k) { continue }
                let s = corpus.streams[mine[k]]
                if once && cursor[k] >= s.ends.count { done.insert(k); continue }
                if picked > 0 { body.append(0x2C) }
                body += Array("{\"stream\":".utf8) + s.labels + Array(",\"values\":[".utf8)
                let now = Int64(Date().timeIntervalSince1970 * 1e9)
                for j in 0..<lines {
                    if cursor[k] >= s.ends.count {
                        if once { break }
                        cursor[k] = 0
                    }
                    let i = cursor[k]
                    cursor[k] += 1
                    let start = i == 0 ? 0 : s.ends[i - 1]
                    let t = max(now, last[k] + 1)
                    last[k] = t
                    tally.firstTimestamp = min(tally.firstTimestamp, t)
                    tally.lastTimestamp = max(tally.lastTimestamp, t)
                    if j > 0 { body.append(0x2C) }
                    body += Array("[\"\(t)\",\"".utf8)
                    body += s.escaped[start..<s.ends[i]]
                    body += [0x22, 0x5D]
                    lineCount += 1
                    lineBytes += s.ends[i] - start
                }
                body += [0x5D, 0x7D]
                picked += 1
            }
            guard picked > 0 else { break }
            body += [0x5D, 0x7D]
            if bytesPerSecond > 0 {
                // Hold back until this client's share of the rate allows the next body.
                let due = Double(tally.bytes + lineBytes) / bytesPerSecond - Date().timeIntervalSince(began)
                if due > 0 { usleep(UInt32(min(due, 5) * 1e6)) }
            }
            let began = Date()
            do {
                let r = try http.send("POST", "/loki/api/v1/push", body: body)
                tally.latencies.append(Date().timeIntervalSince(began))
                tally.pushes += 1
                if r.status == 204 {
                    tally.lines += lineCount
                    tally.bytes += lineBytes
                } else {
                    tally.errors += 1
                    if tally.firstError == nil { tally.firstError = "HTTP \(r.status): \(r.text.prefix(300))" }
                }
            } catch {
                tally.errors += 1
                if tally.firstError == nil { tally.firstError = "\(error)" }
            }
        }
        return tally
    }
}

/// A `kansoku server` started for the bench on a free loopback port, stopped by PID.
final class SoakServer: @unchecked Sendable {
    /// Loki's ingestion limits are per tenant and far below what one bench client pushes.
    static let config = """
        rules:
          files: []
        limits:
          ingestion_rate_mb: 100000
          ingestion_burst_size_mb: 100000
          per_stream_rate_limit: 100000MB
          per_stream_rate_limit_burst: 100000MB
          query_timeout: 10m
        """
    let process: Process
    let port: Int
    var pid: Int32 { process.processIdentifier }

    init(binary: String, data: String, config: String) throws {
        port = LoopbackExporter.freePort()
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["server", "--config", config, "--data-dir", data, "--listen", "127.0.0.1:\(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let deadline = Date().addingTimeInterval(600)
        while Date() < deadline {
            if !process.isRunning { throw LogsIngestBench.BenchError.io("kansoku server exited with \(process.terminationStatus)") }
            if (try? LoopbackHTTPClient(port: port).send("GET", "/ready"))?.status == 200 { return }
            usleep(20_000)
        }
        throw LogsIngestBench.BenchError.io("kansoku server not ready within 600 s")
    }

    /// `sum(count_over_time({app=~".+"}[…]))` over [from, through] (ns), at `through`.
    func countLines(since from: Int64, through: Int64) throws -> Int {
        guard from <= through else { return 0 }
        let range = (through - from) / 1_000_000_000 + 2
        let q = "sum(count_over_time({app=~\".+\"}[\(range)s]))"
        let path = "/loki/api/v1/query?query=\(q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? q)&time=\(through + 1)"
        let r = try LoopbackHTTPClient(port: port).send("GET", path)
        guard r.status == 200, let json = try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
              let data = json["data"] as? [String: Any], let result = data["result"] as? [[String: Any]] else {
            throw LogsIngestBench.BenchError.io("count query failed: HTTP \(r.status) \(r.text.prefix(300))")
        }
        guard let value = result.first?["value"] as? [Any], let text = value.last as? String, let n = Double(text) else { return 0 }
        return Int(n)
    }

    func kill9() {
        kill(pid, SIGKILL)
        process.waitUntilExit()
    }

    deinit { if process.isRunning { kill(pid, SIGKILL) } }
}

/// One reading of the data dir and the server's memory.
struct DataDirSample: Sendable {
    var second: Int
    var total: Int
    var wal: Int
    var chunks: Int
    var rss: Int
}

/// Reads the data dir and the server's RSS every second on its own thread.
final class DataDirSampler: Sendable {
    let suite: String
    let logsDir: String
    let pid: Int32
    private let state = Mutex<(running: Bool, samples: [DataDirSample])>((false, []))
    private let finished = Mutex<Bool>(false)

    init(suite: String, logsDir: String, pid: Int32) {
        self.suite = suite
        self.logsDir = logsDir
        self.pid = pid
    }

    var samples: [DataDirSample] { state.withLock { $0.samples } }

    func start() {
        state.withLock { $0.running = true }
        let began = Date()
        Thread { [self] in
            while state.withLock({ $0.running }) {
                let disk = LogsIngestBench.diskUsage(logsDir)
                let s = DataDirSample(second: Int(Date().timeIntervalSince(began)), total: disk.total, wal: disk.wal,
                                      chunks: disk.segments, rss: BenchProcess.rss(pid))
                state.withLock { $0.samples.append(s) }
                if s.second % 10 == 0 {
                    LogsIngestBench.emit(["suite": suite, "phase": "sample", "second": s.second, "logs_dir_bytes": s.total,
                                          "wal_bytes": s.wal, "chunk_bytes": s.chunks, "rss_bytes": s.rss])
                }
                usleep(1_000_000)
            }
            finished.withLock { $0 = true }
        }.start()
    }

    func stop() {
        state.withLock { $0.running = false }
        while !finished.withLock({ $0 }) { usleep(10_000) }
    }
}

extension [DataDirSample] {
    /// Samples where the logs dir held more than `2 × chunk bytes + 64 MiB`.
    var boundViolations: Int { filter { $0.total > 2 * $0.chunks + 64 << 20 }.count }
}
