import Foundation
import KansokuTestSupport
import Testing

/// A query whose client goes away stops using CPU, as Prometheus and Loki stop it: the server's
/// CPU time, read from /proc, stops growing within a second of the client closing.
@Suite(.serialized) struct ClientDisconnectEndToEndTests {
    /// User plus system CPU seconds of a process so far (`/proc/PID/stat` fields 14 and 15).
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // Fields after the command name start at field 3 (state), so utime (14) is index 11.
        let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU seconds the process uses over `seconds` of wall time.
    static func cpuUse(_ pid: Int32, over seconds: Double) -> Double {
        let before = cpuSeconds(pid)
        usleep(UInt32(seconds * 1_000_000))
        return cpuSeconds(pid) - before
    }

    @Test(.requires(TestPaths.kansoku), arguments: [
        // 30 million steps of a subquery: tens of seconds of work, under the 50M sample bound.
        "/api/v1/query?query=" + urlEncode("count_over_time(vector(1)[347d:1s])"),
    ])
    func abandonedQueryStopsWithinASecond(path: String) throws {
        let bin = try #require(TestPaths.binary)
        let root = TestPaths.makeTempDir("disconnect")
        let server = try ServerProcess(binary: bin, dataDir: root.appendingPathComponent("data"))
        defer { server.stop() }

        var impatient = server.client
        impatient.timeoutSeconds = 1
        #expect(throws: HTTPTestClient.Failure.self) { try impatient.get(path) }
        // The client has closed its socket. Allow a second for the query to notice, then
        // the server should be all but idle.
        usleep(1_000_000)
        let busy = Self.cpuUse(server.pid, over: 2)
        #expect(busy < 0.5, "server used \(busy) CPU seconds in 2 s after its client left")
        #expect(try server.client.get("/ready").status == 200)
        #expect(try server.client.get("/api/v1/query?query=" + urlEncode("1+1")).status == 200)
    }
}
