import Foundation
import KansokuCore
@_spi(Benchmarks) import KansokuMetricStore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif


// MARK: processes and loopback HTTP

/// A peer process started by the bench and stopped by its PID.
final class BenchProcess {
    let process: Process
    let port: Int
    let dataDir: String
    var pid: Int32 { process.processIdentifier }

    init(_ path: String, _ args: [String], port: Int, dataDir: String) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        self.port = port
        self.dataDir = dataDir
        try process.run()
    }

    static func find(_ name: String) -> String? {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: dir + "/" + name) {
            return dir + "/" + name
        }
        return nil
    }

    static func runToEnd(_ path: String, _ args: [String]) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }

    func waitReady() async throws -> Bool {
        for _ in 0..<120 {
            if LoopbackExporter.get(port: port, path: "/-/ready")?.hasPrefix("Prometheus") == true
                || LoopbackExporter.get(port: port, path: "/-/ready")?.contains("Ready") == true { return true }
            try await Task.sleep(for: .milliseconds(250))
        }
        return false
    }

    /// Sums of the samples per metric name in the process's own `/metrics`.
    func scrapeOwnMetrics() -> [String: Double] {
        var out: [String: Double] = [:]
        for line in (LoopbackExporter.get(port: port, path: "/metrics") ?? "").split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let v = Double(line[line.index(after: space)...]) else { continue }
            let name = line[..<space].prefix { $0 != "{" && $0 != " " }
            out[String(name), default: 0] += v
        }
        return out
    }

    func stop() {
        kill(pid, SIGTERM)
        process.waitUntilExit()
    }

    /// Resident set size of `pid` in bytes: `VmRSS`, or the peak with `field: "VmHWM:"`.
    static func rss(_ pid: Int32, field: String = "VmRSS:") -> Int {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix(field) {
            return (Int(line.split(separator: " ")[1]) ?? 0) * 1024
        }
        return 0
    }

    /// Apparent bytes of the regular files under `path`.
    static func du(_ path: String) -> Int {
        guard let e = FileManager.default.enumerator(atPath: path) else { return 0 }
        var total = 0
        while let f = e.nextObject() as? String {
            if let a = try? FileManager.default.attributesOfItem(atPath: path + "/" + f),
               a[.type] as? FileAttributeType == .typeRegular { total += (a[.size] as? Int) ?? 0 }
        }
        return total
    }
}

/// A one-connection-at-a-time HTTP server on 127.0.0.1 serving the latest exposition body, or
/// what `provider` returns for the request's path.
final class LoopbackExporter: Sendable {
    let fd: Int32
    let port: Int
    let body = Mutex<[UInt8]>([])
    let provider: (@Sendable (String) -> [UInt8])?

    init(provider: (@Sendable (String) -> [UInt8])? = nil) throws {
        self.provider = provider
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = LoopbackExporter.loopback(port: 0)
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(sock, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 } }
        guard ok, listen(sock, 16) == 0 else {
            close(sock)
            throw CocoaError(.fileWriteUnknown)
        }
        var bound = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &len) } }
        fd = sock
        port = Int(UInt16(bigEndian: bound.sin_port))
        let t = Thread { [self] in serve() }
        t.start()
    }

    static func loopback(port: Int) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = UInt16(port).bigEndian
        a.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return a
    }

    static func freePort() -> Int {
        guard let s = try? LoopbackExporter() else { return 19_090 }
        let p = s.port
        s.stop()
        return p
    }

    private func serve() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { if errno == EINTR { continue }; return }
            var req = [UInt8](repeating: 0, count: 16 << 10)
            let n = read(c, &req, req.count)
            let b: [UInt8]
            if let provider {
                // "GET /path HTTP/1.1": the second word.
                let words = req[0..<max(n, 0)].split(separator: 0x20, maxSplits: 2)
                b = provider(words.count > 1 ? String(decoding: words[1], as: UTF8.self) : "/")
            } else {
                b = body.withLock { $0 }
            }
            var out = Array("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: \(b.count)\r\nConnection: close\r\n\r\n".utf8)
            out += b
            var off = 0
            while off < out.count {
                let n = out.withUnsafeBytes { write(c, $0.baseAddress! + off, out.count - off) }
                if n <= 0 { break }
                off += n
            }
            close(c)
        }
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    /// Body of `GET path` from 127.0.0.1:port, or nil.
    static func get(port: Int, path: String) -> String? {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        var addr = loopback(port: port)
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 } }
        guard ok else { return nil }
        let req = Array("GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".utf8)
        _ = req.withUnsafeBytes { write(s, $0.baseAddress!, req.count) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = read(s, &buf, buf.count)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        guard let text = String(bytes: out, encoding: .utf8), let r = text.range(of: "\r\n\r\n") else { return nil }
        return String(text[r.upperBound...])
    }
}
