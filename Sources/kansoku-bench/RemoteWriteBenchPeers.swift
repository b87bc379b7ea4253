import Foundation
import KansokuCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A remote-write peer under measurement: a `kansoku server` or a Debian `prometheus`, with the
/// PromQL endpoint both answer and the CPU and memory `/proc` reports for its PID.
struct RemoteWritePeer {
    let name: String
    let port: Int
    let pid: Int32
    let stop: () -> Void

    /// `kansoku server` with `config` (the bench's YAML) on a free loopback port.
    static func kansoku(binary: String, work: String, config: String) throws -> RemoteWritePeer {
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try config.write(toFile: work + "/kansoku.yaml", atomically: true, encoding: .utf8)
        let server = try SoakServer(binary: binary, data: work + "/data", config: work + "/kansoku.yaml")
        return RemoteWritePeer(name: "kansoku", port: server.port, pid: server.pid) {
            kill(server.pid, SIGTERM)
            server.process.waitUntilExit()
        }
    }

    /// `prometheus` with `config` (its YAML) and `flags`, on a free loopback port.
    static func prometheus(binary: String, work: String, config: String, flags: [String] = []) async throws -> RemoteWritePeer {
        try FileManager.default.createDirectory(atPath: work + "/data", withIntermediateDirectories: true)
        try config.write(toFile: work + "/prometheus.yml", atomically: true, encoding: .utf8)
        let port = LoopbackExporter.freePort()
        let p = try BenchProcess(binary, ["--config.file=\(work)/prometheus.yml", "--storage.tsdb.path=\(work)/data",
                                          "--web.listen-address=127.0.0.1:\(port)"] + flags, port: port, dataDir: work + "/data")
        guard try await p.waitReady() else {
            p.stop()
            throw LogsIngestBench.BenchError.io("prometheus was not ready within 30 s")
        }
        return RemoteWritePeer(name: "prometheus", port: port, pid: p.pid) { p.stop() }
    }

    /// User plus system CPU seconds of the process so far (`/proc/<pid>/stat`).
    var cpuSeconds: Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        // Fields after "pid (comm)": state is field 3, utime 14, stime 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    var rss: Int { BenchProcess.rss(pid) }

    /// An instant query's vector.
    func query(_ promql: String, at seconds: Double) throws -> [(metric: [String: String], value: Double)] {
        let q = promql.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? promql
        let text = get("/api/v1/query?query=\(q)&time=\(String(format: "%.3f", seconds))")
        guard let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let data = json["data"] as? [String: Any], let result = data["result"] as? [[String: Any]] else {
            throw LogsIngestBench.BenchError.io("\(name): query \(promql) failed: \(text.prefix(300))")
        }
        return result.compactMap { item in
            guard let metric = item["metric"] as? [String: String], let value = item["value"] as? [Any],
                  let text = value.last as? String, let v = Double(text) else { return nil }
            return (metric, v)
        }
    }

    /// The metric names the peer stores (`/api/v1/label/__name__/values`).
    func metricNames() throws -> [String] {
        let text = get("/api/v1/label/__name__/values")
        guard let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let data = json["data"] as? [String] else {
            throw LogsIngestBench.BenchError.io("\(name): metric names failed: \(text.prefix(300))")
        }
        return data
    }

    private func get(_ path: String) -> String { (try? LoopbackHTTPClient(port: port).send("GET", path))?.text ?? "" }

    /// Samples stored per series of job `job` over (`through - range`, `through`], by series key:
    /// one `count_over_time` per metric name, since the function drops the name.
    func storedCounts(job: String, throughMs: Int64, rangeSeconds: Int) throws -> [String: Int] {
        var out: [String: Int] = [:]
        for name in try metricNames() {
            for (metric, v) in try query("count_over_time(\(name){job=\"\(job)\"}[\(rangeSeconds)s])", at: Double(throughMs) / 1000) {
                out[RemoteWriteBench.seriesKey(metric.merging(["__name__": name]) { a, _ in a })] = Int(v)
            }
        }
        return out
    }
}

/// Reads each peer's RSS every second on its own thread while a phase runs.
final class PeakRSS: Sendable {
    private let state = Mutex<(running: Bool, peak: [Int32: Int])>((true, [:]))
    private let finished = Atomic<Bool>(false)

    init(_ pids: [Int32]) {
        Thread { [self] in
            while state.withLock({ $0.running }) {
                for pid in pids {
                    let rss = BenchProcess.rss(pid)
                    state.withLock { $0.peak[pid] = max($0.peak[pid] ?? 0, rss) }
                }
                usleep(1_000_000)
            }
            finished.store(true, ordering: .releasing)
        }.start()
    }

    /// Stops sampling; the highest RSS seen per PID.
    func stop() -> [Int32: Int] {
        state.withLock { $0.running = false }
        while !finished.load(ordering: .acquiring) { usleep(10_000) }
        return state.withLock { $0.peak }
    }
}
