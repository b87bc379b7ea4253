import Foundation
import Synchronization
import KansokuTestSupport
import Testing

/// File tailing through the real binary: real logs read back byte for byte across a restart, and
/// exactly-once storage across `kill -9` while files grow and rotate.
@Suite(.serialized) struct IngestEndToEndTests {
    // MARK: helpers

    /// Writes `kansoku.yaml` tailing `paths` with `labels`.
    static func writeConfig(_ dir: URL, paths: [String], labels: [String: String], partialLineTimeout: String) throws -> URL {
        let labelText = labels.sorted { $0.key < $1.key }.map { "\($0.key): \"\($0.value)\"" }.joined(separator: ", ")
        let yaml = """
            logs:
              poll_interval: 50ms
              partial_line_timeout: \(partialLineTimeout)
              targets:
                - paths: [\(paths.map { "\"\($0)\"" }.joined(separator: ", "))]
                  labels: { \(labelText) }
            """
        let url = dir.appendingPathComponent("kansoku.yaml")
        try yaml.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// The lines of a file as the tailer stores them: split on `\n`, one `\r` before it dropped,
    /// a last line without newline included.
    static func expectedLines(_ data: Data) -> [Data] {
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Data($0) }
        if data.last == UInt8(ascii: "\n") { lines.removeLast() }
        return lines.map { $0.last == 0x0D ? $0.dropLast() : $0 }
    }

    /// Every line of the stream selected by `selector`, oldest first, paging past the server's
    /// per-query limit by moving the start past the last timestamp seen (timestamps within a
    /// tailed stream are distinct).
    static func fetchAll(_ server: ServerProcess, _ selector: String, from: Int64, to: Int64) throws -> [(Int64, Data)] {
        var out: [(Int64, Data)] = []
        var start = from
        while true {
            let q = "/loki/api/v1/query_range?query=\(urlEncode(selector))&start=\(start)&end=\(to)&limit=5000&direction=forward"
            let r = try server.client.get(q)
            guard r.status == 200 else { throw QueryFailure(status: r.status, body: r.text) }
            let json = try JSONSerialization.jsonObject(with: r.body) as? [String: Any]
            let data = json?["data"] as? [String: Any]
            let result = data?["result"] as? [[String: Any]] ?? []
            var page: [(Int64, Data)] = []
            for stream in result {
                for v in stream["values"] as? [[Any]] ?? [] {
                    guard let ts = (v[0] as? String).flatMap({ Int64($0) }), let line = v[1] as? String else { continue }
                    page.append((ts, Data(line.utf8)))
                }
            }
            page.sort { $0.0 < $1.0 }
            out += page
            // Page until an empty answer, whatever limit the server applies.
            guard let last = page.last else { return out }
            start = last.0 + 1
        }
    }

    struct QueryFailure: Error, CustomStringConvertible {
        var status: Int
        var body: String
        var description: String { "query failed with \(status): \(body)" }
    }

    /// The label sets of the streams `selector` selects.
    static func series(_ server: ServerProcess, _ selector: String, from: Int64, to: Int64) throws -> [[String: String]] {
        let r = try server.client.get("/loki/api/v1/series?match[]=\(urlEncode(selector))&start=\(from)&end=\(to)")
        guard r.status == 200 else { throw QueryFailure(status: r.status, body: r.text) }
        return ((try r.json() as? [String: Any])?["data"] as? [[String: String]]) ?? []
    }

    static func selector(_ labels: [String: String]) -> String {
        "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ", ") + "}"
    }

    static func nowNanos() -> Int64 { Int64(Date().timeIntervalSince1970 * 1e9) }

    /// Polls `condition` until it holds or `timeout` passes.
    static func waitUntil(timeout: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            usleep(200_000)
        }
        return try condition()
    }

    // MARK: must-show 2: every real log, tailed, server restarted, read back identical

    @Test(.requires(TestPaths.kansoku, .shared("data")))
    func everyRealLogRoundTripsAcrossARestart() throws {
        let bin = try #require(TestPaths.binary)
        let shared = try #require(TestPaths.shared())
        let sources = ["access", "loghub"].flatMap { sub -> [URL] in
            let dir = shared.appendingPathComponent("data").appendingPathComponent(sub)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            return names.filter { $0.hasSuffix(".log") }.sorted().map { dir.appendingPathComponent($0) }
        }
        #expect(sources.count >= 18, "expected the 16 loghub systems and 2 access logs in ../shared/data")
        let dir = TestPaths.makeTempDir("ingest-roundtrip")
        defer { try? FileManager.default.removeItem(at: dir) }
        let logs = dir.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let config = try Self.writeConfig(dir, paths: [logs.path + "/*.log"], labels: ["job": "roundtrip"], partialLineTimeout: "1s")
        let from = Self.nowNanos() - 3_600_000_000_000

        // Phase 1: the first half of every file (cut at a line boundary, as writers write lines).
        var full: [URL: Data] = [:]
        var firstHalf: [URL: Int] = [:]
        for src in sources {
            let data = try Data(contentsOf: src)
            let target = logs.appendingPathComponent(src.deletingLastPathComponent().lastPathComponent + "-" + src.lastPathComponent)
            let mid = data.count / 2
            let cut = (data[mid...].firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? data.count
            try data[..<cut].write(to: target)
            full[target] = data
            firstHalf[target] = Self.expectedLines(data[..<cut]).count
        }
        var server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"), config: config)
        let phase1 = try Self.waitUntil(timeout: 120) {
            try full.keys.allSatisfy { target in
                try Self.fetchAll(server, Self.selector(["job": "roundtrip", "filename": target.path]), from: from,
                                  to: Self.nowNanos() + 3_600_000_000_000).count == firstHalf[target]!
            }
        }
        #expect(phase1, "first halves not stored in time:\n\(server.log.suffix(2000))")
        #expect(server.stop() == 0)

        // Phase 2: the rest arrives while the server is down; it resumes from its positions.
        for (target, data) in full {
            let handle = try FileHandle(forWritingTo: target)
            try handle.seekToEnd()
            let have = try handle.offset()
            try handle.write(contentsOf: data[Int(have)...])
            try handle.close()
        }
        server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"), config: config)
        defer { server.stop() }
        var got: [URL: [Data]] = [:]
        let phase2 = try Self.waitUntil(timeout: 120) {
            for (target, data) in full where got[target]?.count != Self.expectedLines(data).count {
                got[target] = try Self.fetchAll(server, Self.selector(["job": "roundtrip", "filename": target.path]), from: from,
                                                to: Self.nowNanos() + 3_600_000_000_000).map(\.1)
            }
            return full.allSatisfy { got[$0.key]?.count == Self.expectedLines($0.value).count }
        }
        #expect(phase2, "not every line stored in time:\n\(server.log.suffix(2000))")
        var identical = 0
        for (target, data) in full.sorted(by: { $0.key.path < $1.key.path }) {
            let want = Self.expectedLines(data)
            let have = got[target] ?? []
            if have == want {
                identical += 1
            } else {
                let i = zip(have, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(have.count, want.count)
                Issue.record("\(target.lastPathComponent): \(have.count) lines stored, \(want.count) expected; first difference at line \(i + 1)")
            }
        }
        print("ingest round trip: \(identical)/\(full.count) files byte-identical and in order, \(full.values.map { Self.expectedLines($0).count }.reduce(0, +)) lines")
    }

    // MARK: must-show 3: kill -9 at 20 random moments while files grow and rotate

    /// Appends numbered lines to a few files, sometimes in two writes (a line in flight), and
    /// rotates them by rename + create. Every line is unique, so the store can be checked for
    /// exactly-once.
    final class Writer: @unchecked Sendable {
        let dir: URL
        let state = Mutex<(stop: Bool, written: [String: Int])>((false, [:]))
        let done = DispatchSemaphore(value: 0)
        let files = 3

        init(dir: URL) { self.dir = dir }

        func start() {
            Thread.detachNewThread { [self] in
                var rng = SystemRandomNumberGenerator()
                var seq = Array(repeating: 0, count: files)
                var rotations = Array(repeating: 0, count: files)
                var step = 0
                while !state.withLock({ $0.stop }) {
                    step += 1
                    let f = Int.random(in: 0..<files, using: &rng)
                    let path = dir.appendingPathComponent("app\(f).log").path
                    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
                    guard fd >= 0 else { continue }
                    var lines: [String] = []
                    for _ in 0..<Int.random(in: 1...10, using: &rng) {
                        let payload = String(repeating: "abcdefghij", count: Int.random(in: 1...20, using: &rng))
                        lines.append("app\(f)-\(seq[f]) \(payload)")
                        seq[f] += 1
                    }
                    let text = Array((lines.joined(separator: "\n") + "\n").utf8)
                    if Bool.random(using: &rng) {
                        // The last line goes out in two writes: a reader may see half of it.
                        let cut = text.count - Int.random(in: 2...(min(text.count, 40)), using: &rng)
                        _ = text[..<cut].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                        usleep(1000)
                        _ = text[cut...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                    } else {
                        _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                    }
                    close(fd)
                    state.withLock { s in for l in lines { s.written[l, default: 0] += 1 } }
                    if step % 150 == 0 {
                        rotations[f] += 1
                        rename(path, path + ".\(rotations[f])")
                    }
                    usleep(UInt32.random(in: 2000...6000, using: &rng))
                }
                done.signal()
            }
        }

        func stop() -> [String: Int] {
            state.withLock { $0.stop = true }
            done.wait()
            return state.withLock { $0.written }
        }
    }

    /// How many times each line of `job="crash"` is stored.
    static func storedLines(_ server: ServerProcess, from: Int64) throws -> [String: Int] {
        var stored: [String: Int] = [:]
        let to = nowNanos() + 3_600_000_000_000
        for labels in try series(server, "{job=\"crash\"}", from: from, to: to) {
            for (_, line) in try fetchAll(server, selector(labels), from: from, to: to) {
                stored[String(decoding: line, as: UTF8.self), default: 0] += 1
            }
        }
        return stored
    }

    @Test(.requires(TestPaths.kansoku))
    func killNineAtTwentyRandomMomentsStoresEveryLineOnce() throws {
        let bin = try #require(TestPaths.binary)
        let dir = TestPaths.makeTempDir("ingest-crash")
        defer { try? FileManager.default.removeItem(at: dir) }
        let logs = dir.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        // Rotated names are tailed too, so a file rotated while the server is down is still read
        // (once: files are known by device and inode, not by name).
        let config = try Self.writeConfig(dir, paths: [logs.path + "/*.log", logs.path + "/*.log.*"], labels: ["job": "crash"],
                                          partialLineTimeout: "30s")
        let from = Self.nowNanos() - 3_600_000_000_000
        let writer = Writer(dir: logs)
        writer.start()
        var rng = SystemRandomNumberGenerator()
        var reconciliations = 0
        for round in 1...20 {
            let server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"), config: config)
            // After every restart: nothing stored twice, nothing that was never written.
            let stored = try Self.storedLines(server, from: from)
            // Taken after the query: a line is recorded by the writer right after its last write.
            let known = writer.state.withLock { $0.written }
            let twice = stored.filter { $0.value > 1 }.map(\.key)
            #expect(twice.isEmpty, "after restart \(round): \(twice.count) lines stored twice, e.g. \(twice.sorted().prefix(3))")
            let strange = stored.keys.filter { known[$0] == nil }
            #expect(strange.isEmpty, "after restart \(round): lines never written, e.g. \(strange.sorted().prefix(3))")
            usleep(UInt32.random(in: 100_000...1_500_000, using: &rng))
            server.kill9()
            // Batches left unconfirmed by the previous kill, settled at this start.
            reconciliations += server.log.components(separatedBy: "reconciled unconfirmed batch").count - 1
            if round % 5 == 0 { usleep(300_000) }  // sometimes the files move on while nobody reads them
        }
        let written = writer.stop()
        let total = written.values.reduce(0, +)
        #expect(written.values.allSatisfy { $0 == 1 })

        let server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"), config: config)
        defer { server.stop() }
        var stored: [String: Int] = [:]
        var storedCount = 0
        _ = try Self.waitUntil(timeout: 180) {
            stored = try Self.storedLines(server, from: from)
            storedCount = stored.values.reduce(0, +)
            return storedCount >= total
        }
        let missing = written.keys.filter { stored[$0] == nil }
        let duplicated = stored.filter { $0.value > 1 }
        let unknown = stored.keys.filter { written[$0] == nil }
        reconciliations += server.log.components(separatedBy: "reconciled unconfirmed batch").count - 1
        print("ingest crash test: 20 kill -9, \(total) lines written, \(storedCount) stored, "
              + "\(missing.count) missing, \(duplicated.count) duplicated, \(unknown.count) unknown, "
              + "\(reconciliations) unconfirmed batches reconciled at restarts")
        #expect(missing.isEmpty, "missing lines, e.g. \(missing.sorted().prefix(5))")
        #expect(duplicated.isEmpty, "duplicated lines, e.g. \(duplicated.keys.sorted().prefix(5))")
        #expect(unknown.isEmpty, "lines never written (split or corrupted), e.g. \(unknown.sorted().prefix(5))")
        #expect(storedCount == total)
    }
}
