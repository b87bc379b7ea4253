import Foundation
import KansokuCore
import KansokuIngest
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// (c) of `kansoku-bench remote-write`: the same pre-encoded bodies into each receiver.
extension RemoteWriteBench {
    /// Series per request and samples per series in it: 2,000 samples, as a Prometheus
    /// shard's full batch with `max_samples_per_send: 2000`.
    static let seriesPerBody = 500, samplesPerBodySeries = 4

    static func receiving(_ o: Options, prometheus: String, work: String) async throws -> [String: Any] {
        let bodies = encodeBodies(o)
        let expected = o.series * o.receiveSamples
        var out: [String: Any] = ["receive_samples": expected]
        let kansoku = try RemoteWritePeer.kansoku(binary: o.binary, work: work + "/kansoku", config: "rules: { files: [] }\n")
        defer { kansoku.stop() }
        let prom = try await RemoteWritePeer.prometheus(binary: prometheus, work: work + "/prometheus",
                                                        config: "global: { scrape_interval: 1h }\n",
                                                        flags: ["--web.enable-remote-write-receiver"])
        defer { prom.stop() }
        for p in [kansoku, prom] {
            let cpu0 = p.cpuSeconds
            let start = ContinuousClock.now
            let refused = post(bodies, to: p.port)
            let wall = seconds(since: start)
            let cpu = p.cpuSeconds - cpu0
            let stored = try p.query("sum(count_over_time(rwbench_received[1h]))", at: Double(nowMs()) / 1000).first?.value ?? 0
            out["\(p.name)_receive_samples_per_second"] = rounded(Double(expected) / wall)
            out["\(p.name)_receive_samples_per_cpu_second"] = rounded(Double(expected) / max(cpu, 0.001))
            emit(["suite": "remote-write", "phase": "receive", "peer": p.name, "requests": bodies.joined().count,
                  "samples": expected, "seconds": rounded(wall), "cpu_seconds": rounded(cpu),
                  "refused_requests": refused, "stored_samples": Int(stored), "clients": o.clients])
            if refused > 0 || Int(stored) != expected {
                BenchOracle.mismatch("remote-write", "\(p.name) receiver: \(refused) requests refused, \(Int(stored)) of \(expected) samples stored")
            }
        }
        return out
    }

    /// Snappy-compressed WriteRequests per client, encoded before any clock starts. Each client
    /// owns a slice of the series and sends its bodies in time order, so no receiver sees a
    /// series' samples out of order. Timestamps are 10 s apart and end a few minutes ago.
    static func encodeBodies(_ o: Options) -> [[[UInt8]]] {
        let step: Int64 = 10_000
        let first = (nowMs() - 300_000 - Int64(o.receiveSamples) * step) / 1000 * 1000
        var perClient = [[[UInt8]]](repeating: [], count: o.clients)
        let labels = (0..<o.series).map { i in
            [Label(name: "__name__", value: "rwbench_received"), Label(name: "instance", value: "node-\(i / 100)"),
             Label(name: "job", value: "rwbench"), Label(name: "series", value: "s\(i)")]
        }
        let chunks = stride(from: 0, to: o.series, by: seriesPerBody).map { $0..<min($0 + seriesPerBody, o.series) }
        for t0 in stride(from: 0, to: o.receiveSamples, by: samplesPerBodySeries) {
            let ts = t0..<min(t0 + samplesPerBodySeries, o.receiveSamples)
            for (c, chunk) in chunks.enumerated() {
                let series = chunk.map { i in
                    RemoteWriteSeries(labels: labels[i], samples: ts.map { k in
                        RemoteWriteSample(t: first + Int64(k) * step, v: Double(i % 97) * 1.5 + Double(k) * 0.25)
                    })
                }
                perClient[c % o.clients].append(RemoteWriteCodec.encode(series))
            }
        }
        return perClient
    }

    /// POSTs every client's bodies on its own thread and keep-alive connection; the number of
    /// requests not answered 2xx.
    static func post(_ bodies: [[[UInt8]]], to port: Int) -> Int {
        let refused = Atomic<Int>(0)
        let done = Atomic<Int>(0)
        for mine in bodies {
            Thread {
                let client = LoopbackHTTPClient(port: port)
                for body in mine {
                    let status = (try? client.send("POST", "/api/v1/write", body: body, contentType: "application/x-protobuf"))?.status ?? 0
                    if !(200..<300).contains(status) { refused.add(1, ordering: .relaxed) }
                }
                done.add(1, ordering: .releasing)
            }.start()
        }
        while done.load(ordering: .acquiring) < bodies.count { usleep(5_000) }
        return refused.load(ordering: .relaxed)
    }
}
