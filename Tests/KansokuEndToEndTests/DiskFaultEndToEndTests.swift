import Foundation
import KansokuCore
import KansokuTestSupport
import Testing

/// The real binary on a disk that fills up (a small tmpfs) or fails its fsyncs (libfiu's
/// `fiu-run`): a push that fails gets a 5xx and its lines are never returned; every push
/// that got a 204 is returned exactly once, before and after kill -9; queries and `/ready`
/// keep answering, and pushes succeed again without a restart once the fault is gone.
@Suite(.serialized) struct DiskFaultEndToEndTests {
    static let base: Int64 = 1_700_000_000_000_000_000

    /// Whether this machine lets a test mount a tmpfs (root, or a capable container).
    static let canMount: Bool = {
        guard getuid() == 0, TestPaths.binary != nil else { return false }
        let dir = TestPaths.makeTempDir("mount-probe")
        guard (try? runCommand("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir.path]))?.status == 0 else { return false }
        _ = try? runCommand("/bin/umount", [dir.path])
        return true
    }()

    /// Ingestion limits out of the way: the test pushes as fast as it can.
    static func config(_ dir: URL) throws -> URL {
        let url = dir.appendingPathComponent("kansoku.yaml")
        try """
            rules:
              files: []
            limits:
              ingestion_rate_mb: 100000
              ingestion_burst_size_mb: 100000
              per_stream_rate_limit: 100000MB
              per_stream_rate_limit_burst: 100000MB
            """.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Push `n`'s lines: 100 lines of ~300 bytes that zstd cannot shrink much, so the WAL
    /// really needs the space.
    static func push(_ n: Int) -> (body: Data, lines: [String]) {
        var rng = SplitMix64(seed: UInt64(n))
        let lines = (0..<100).map { j in
            "push=\(n) line=\(j) " + (0..<36).map { _ in String(format: "%08x", UInt32(truncatingIfNeeded: rng.next())) }.joined()
        }
        let values = lines.enumerated().map { j, l in [String(base + Int64(n) * 1000 + Int64(j)), l] }
        let body = try! JSONSerialization.data(withJSONObject: ["streams": [["stream": ["app": "fault"], "values": values]]])
        return (body, lines)
    }

    /// Every line of `{app="fault"}`, paged forward through query_range.
    static func storedLines(_ server: ServerProcess) throws -> [String] {
        var out: [String] = []
        var from = base
        while true {
            let q = "/loki/api/v1/query_range?query=\(urlEncode("{app=\"fault\"}"))&start=\(from)&end=\(base + 10_000_000_000_000)&limit=5000&direction=forward"
            let r = try server.client.get(q)
            guard r.status == 200 else { throw Failure("query answered \(r.status): \(r.text)") }
            let result = ((try r.json() as? [String: Any])?["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
            let values = result.first?["values"] as? [[String]] ?? []
            out += values.map { $0[1] }
            guard values.count == 5000, let last = values.last.flatMap({ Int64($0[0]) }) else { return out }
            from = last + 1
        }
    }

    struct Failure: Error, CustomStringConvertible { var description: String; init(_ d: String) { description = d } }

    /// Counts and checks what the store holds against what was acknowledged.
    static func check(_ stored: [String], acked: Set<Int>, refused: Set<Int>, label: String) {
        let want = acked.sorted().flatMap { push($0).lines }
        let duplicates = stored.count - Set(stored).count
        let lost = Set(want).subtracting(stored).count
        let refusedShown = stored.filter { line in refused.contains(Int(line.dropFirst(5).prefix { $0 != " " }) ?? -1) }.count
        print("DISK FAULTS \(label): pushes acknowledged \(acked.count), refused \(refused.count); lines stored \(stored.count), "
              + "duplicated \(duplicates), lost \(lost), refused lines returned \(refusedShown)")
        #expect(duplicates == 0)
        #expect(lost == 0)
        #expect(refusedShown == 0)
        #expect(stored.sorted() == want.sorted())
    }

    @Test(.requires(TestPaths.kansoku), .enabled(if: canMount, "needs root to mount a small tmpfs (a real full disk)"))
    func fullDiskRefusesPushesAndRecoversWithoutRestart() throws {
        let bin = try #require(TestPaths.binary)
        let root = TestPaths.makeTempDir("disk-full")
        let mnt = root.appendingPathComponent("mnt")
        try FileManager.default.createDirectory(at: mnt, withIntermediateDirectories: true)
        #expect(try runCommand("/bin/mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", mnt.path]).status == 0)
        defer { _ = try? runCommand("/bin/umount", ["-l", mnt.path]) }
        let data = mnt.appendingPathComponent("data")
        var server = try ServerProcess(binary: bin, dataDir: data, config: try Self.config(root))
        defer { server.stop() }
        // Fill the disk, then give back ~1.5 MiB: room for a few pushes, not for all.
        let filler = mnt.appendingPathComponent("filler").path
        _ = try runCommand("/bin/sh", ["-c", "dd if=/dev/zero of=\(filler) bs=64k 2>/dev/null; truncate -s -1536K \(filler)"])

        var acked = Set<Int>(), refused = Set<Int>()
        var n = 0
        var refusedInARow = 0
        while refusedInARow < 5 && n < 2000 {
            let r = try server.client.post("/loki/api/v1/push", body: Self.push(n).body, contentType: "application/json")
            if r.status == 204 { acked.insert(n); refusedInARow = 0 } else {
                #expect(r.status >= 500, "\(r.status) \(r.text)")
                #expect((try? r.json() as? [String: Any])?["error"] is String)
                refused.insert(n)
                refusedInARow += 1
            }
            #expect(try server.client.get("/ready").status == 200)
            n += 1
        }
        #expect(!refused.isEmpty, "the disk never filled: nothing was tested")
        #expect(!acked.isEmpty)
        // Queries answer while the disk is full, with exactly the acknowledged lines.
        Self.check(try Self.storedLines(server), acked: acked, refused: refused, label: "while full")

        // Space returns: pushes succeed again, no restart; the client retries what failed.
        try FileManager.default.removeItem(atPath: filler)
        for m in refused.sorted() {
            let r = try server.client.post("/loki/api/v1/push", body: Self.push(m).body, contentType: "application/json")
            #expect(r.status == 204, "\(r.text)")
        }
        let everything = acked.union(refused)
        Self.check(try Self.storedLines(server), acked: everything, refused: [], label: "after space returned and retries")
        server.kill9()
        server = try ServerProcess(binary: bin, dataDir: data, config: try Self.config(root))
        Self.check(try Self.storedLines(server), acked: everything, refused: [], label: "after kill -9")
    }

    @Test(.requires(TestPaths.kansoku, .fiu))
    func failingFsyncRefusesPushesAndRecovers() throws {
        let bin = try #require(TestPaths.binary)
        let fiuRun = try #require(TestPaths.which("fiu-run")), fiuCtrl = try #require(TestPaths.which("fiu-ctrl"))
        let root = TestPaths.makeTempDir("fsync-eio")
        let data = root.appendingPathComponent("data")
        let config = try Self.config(root)
        var server = try ServerProcess(binary: URL(fileURLWithPath: fiuRun), dataDir: data, config: config,
                                       subcommand: ["-x", bin.path, "server"])
        defer { server.stop() }
        var acked = Set<Int>(), refused = Set<Int>()
        func push(_ n: Int) throws -> Int {
            let r = try server.client.post("/loki/api/v1/push", body: Self.push(n).body, contentType: "application/json")
            if r.status == 204 { acked.insert(n) } else { refused.insert(n) }
            return r.status
        }
        for n in 0..<5 { #expect(try push(n) == 204) }
        #expect(try runCommand(fiuCtrl, ["-c", "enable name=posix/io/sync/fsync,failinfo=5", String(server.pid)]).status == 0)
        for n in 5..<10 { #expect(try push(n) == 500) }
        #expect(try server.client.get("/ready").status == 200)
        Self.check(try Self.storedLines(server), acked: acked, refused: refused, label: "fsync EIO")
        #expect(try runCommand(fiuCtrl, ["-c", "disable name=posix/io/sync/fsync", String(server.pid)]).status == 0)
        for n in 10..<15 { #expect(try push(n) == 204) }
        for n in 5..<10 { #expect(try push(n) == 204) }
        server.kill9()
        server = try ServerProcess(binary: bin, dataDir: data, config: config)
        Self.check(try Self.storedLines(server), acked: Set(0..<15), refused: [], label: "fsync EIO, retried, after kill -9")
    }
}
