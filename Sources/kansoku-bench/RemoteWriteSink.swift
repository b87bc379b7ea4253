import Foundation
import KansokuCore
import KansokuIngest
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What the sink received from one sender (one URL path): every float sample's timestamp per
/// series, so counts are checked against the sender's own store rather than assumed.
struct SenderTally: Sendable {
    var requests = 0
    var refused = 0
    var samples = 0
    var staleMarkers = 0
    var metadata = 0
    /// Metadata as last received, by metric family name.
    var metadataByFamily: [String: RemoteWriteMetadata] = [:]
    /// Timestamps per series (`RemoteWriteBench.seriesKey`), in arrival order.
    var timestamps: [String: [Int64]] = [:]
}

/// A remote-write receiver on 127.0.0.1 for benchmarks: one thread per connection (HTTP/1.1
/// keep-alive, `Content-Length` bodies), each request snappy- and protobuf-decoded and tallied
/// under its path. While `down` is set it answers 503 to everything, as a receiver in an outage.
final class RemoteWriteSink: Sendable {
    let fd: Int32
    let port: Int
    let down = Atomic<Bool>(false)
    private let tallies = Mutex<[String: SenderTally]>([:])

    /// Prometheus's staleness marker, which is sent but is not a sample.
    static let staleNaN: UInt64 = 0x7FF0_0000_0000_0002

    init() throws {
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = LoopbackExporter.loopback(port: 0)
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(sock, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 } }
        guard ok, listen(sock, 512) == 0 else {
            close(sock)
            throw LogsIngestBench.BenchError.io("remote write sink: cannot listen on 127.0.0.1")
        }
        var bound = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &len) } }
        fd = sock
        port = Int(UInt16(bigEndian: bound.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    func tally(_ sender: String) -> SenderTally { tallies.withLock { $0[sender] ?? SenderTally() } }

    func samples(_ sender: String) -> Int { tallies.withLock { $0[sender]?.samples ?? 0 } }

    /// Series whose newest received sample is older than `t` (ms), among those received.
    func seriesBehind(_ sender: String, _ t: Int64) -> Int {
        tallies.withLock { all in
            guard let series = all[sender]?.timestamps else { return 0 }
            return series.values.reduce(0) { $0 + (($1.max() ?? .min) < t ? 1 : 0) }
        }
    }

    private func acceptLoop() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { if errno == EINTR || errno == ECONNABORTED { continue }; return }
            var one: Int32 = 1
            setsockopt(c, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            Thread { [self] in serve(c) }.start()
        }
    }

    /// Serves one keep-alive connection until the peer closes it.
    private func serve(_ c: Int32) {
        defer { close(c) }
        var buffered: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256 << 10)
        while true {
            var headerEnd: Int?
            while headerEnd == nil {
                if let r = buffered.firstRange(of: [13, 10, 13, 10]) { headerEnd = r.upperBound; break }
                let n = read(c, &chunk, chunk.count)
                if n <= 0 { return }
                buffered += chunk[0..<n]
            }
            let head = String(decoding: buffered[0..<headerEnd!], as: UTF8.self)
            let path = head.split(separator: " ", maxSplits: 2).dropFirst().first.map(String.init) ?? "/"
            var length = 0
            for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
            }
            while buffered.count - headerEnd! < length {
                let n = read(c, &chunk, chunk.count)
                if n <= 0 { return }
                buffered += chunk[0..<n]
            }
            let body = Array(buffered[headerEnd!..<(headerEnd! + length)])
            buffered.removeFirst(headerEnd! + length)
            let status = handle(path: path, body: body)
            let answer = Array("HTTP/1.1 \(status)\r\nContent-Length: 0\r\n\r\n".utf8)
            var off = 0
            while off < answer.count {
                let n = answer.withUnsafeBytes { write(c, $0.baseAddress! + off, answer.count - off) }
                if n <= 0 { return }
                off += n
            }
        }
    }

    private func handle(path: String, body: [UInt8]) -> String {
        let sender = path.split(separator: "/").first.map(String.init) ?? ""
        if down.load(ordering: .relaxed) {
            tallies.withLock { $0[sender, default: SenderTally()].refused += 1 }
            return "503 Service Unavailable"
        }
        let decoded: RemoteWriteRequest
        do {
            decoded = try body.withUnsafeBytes { (b) throws(PushDecodeError) in
                try RemoteWriteCodec.decodeWithMetadata(snappyBody: b, maxDecompressedSize: 256 << 20)
            }
        } catch {
            FileHandle.standardError.write(Data("remote write sink: undecodable request from \(sender): \(error)\n".utf8))
            return "400 Bad Request"
        }
        // Keys are built outside the lock so the senders' shards are not serialised on it.
        var keyed: [(String, [Int64], Int)] = []
        keyed.reserveCapacity(decoded.series.count)
        for s in decoded.series {
            let key = RemoteWriteBench.seriesKey(s.labels)
            var ts: [Int64] = []
            ts.reserveCapacity(s.samples.count)
            var stale = 0
            for x in s.samples {
                if x.v.bitPattern == Self.staleNaN { stale += 1 } else { ts.append(x.t) }
            }
            keyed.append((key, ts, stale))
        }
        tallies.withLock { all in
            var t = all[sender] ?? SenderTally()
            all[sender] = nil
            t.requests += 1
            t.metadata += decoded.metadata.count
            for m in decoded.metadata { t.metadataByFamily[m.family] = m }
            for (key, ts, stale) in keyed {
                t.samples += ts.count
                t.staleMarkers += stale
                t.timestamps[key, default: []].append(contentsOf: ts)
            }
            all[sender] = t
        }
        return "204 No Content"
    }
}

extension SenderTally {
    /// Samples per series with `t` in `window`, for series holding `label`.
    func counts(in window: ClosedRange<Int64>, having label: String) -> [String: Int] {
        var out: [String: Int] = [:]
        for (key, ts) in timestamps where key.contains(label) {
            let n = ts.reduce(0) { $0 + (window.contains($1) ? 1 : 0) }
            if n > 0 { out[key] = n }
        }
        return out
    }

    /// Series holding a timestamp more than once, and the repeated samples in all.
    var duplicates: (series: Int, samples: Int) {
        var series = 0, samples = 0
        for ts in timestamps.values {
            let sorted = ts.sorted()
            var repeats = 0
            for i in sorted.indices.dropFirst() where sorted[i] == sorted[i - 1] { repeats += 1 }
            if repeats > 0 { series += 1; samples += repeats }
        }
        return (series, samples)
    }
}
