import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking HTTP/1.1 client for one keep-alive connection to 127.0.0.1, for load generators
/// that must not measure a client library's overhead: one instance per thread.
final class LoopbackHTTPClient {
    let port: Int
    private var fd: Int32 = -1
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)

    init(port: Int) { self.port = port }

    deinit { if fd >= 0 { close(fd) } }

    struct Response {
        var status: Int
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    enum ClientError: Error { case connect, write, read, malformed }

    /// Sends one request (reconnecting once if the kept-alive connection was closed).
    func send(_ method: String, _ path: String, body: [UInt8] = [], contentType: String = "application/json") throws -> Response {
        do { return try attempt(method, path, body, contentType) } catch {
            reset()
            return try attempt(method, path, body, contentType)
        }
    }

    private func reset() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    private func attempt(_ method: String, _ path: String, _ body: [UInt8], _ contentType: String) throws -> Response {
        if fd < 0 { try connectSocket() }
        var request = Array("\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
        request += body
        var off = 0
        while off < request.count {
            let n = request.withUnsafeBytes { write(fd, $0.baseAddress! + off, request.count - off) }
            guard n > 0 else { throw ClientError.write }
            off += n
        }
        // Headers, then exactly Content-Length bytes of body.
        var got: [UInt8] = []
        var headerEnd = -1
        while headerEnd < 0 {
            let n = read(fd, &buffer, buffer.count)
            guard n > 0 else { throw ClientError.read }
            got += buffer[0..<n]
            if let r = got.firstRange(of: [13, 10, 13, 10]) { headerEnd = r.upperBound }
        }
        let head = String(decoding: got[0..<headerEnd], as: UTF8.self)
        let parts = head.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { throw ClientError.malformed }
        var length = 0
        for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
            length = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
        }
        if head.lowercased().contains("transfer-encoding: chunked") {
            let body = try readChunked(Array(got[headerEnd...]))
            if head.lowercased().contains("connection: close") { reset() }
            return Response(status: status, body: body)
        }
        while got.count - headerEnd < length {
            let n = read(fd, &buffer, buffer.count)
            guard n > 0 else { throw ClientError.read }
            got += buffer[0..<n]
        }
        if head.lowercased().contains("connection: close") { reset() }
        return Response(status: status, body: Array(got[headerEnd..<(headerEnd + length)]))
    }

    /// A chunked body (Go's servers answer large responses so), starting with `got`.
    private func readChunked(_ start: [UInt8]) throws -> [UInt8] {
        var got = start, at = 0, body: [UInt8] = []
        func more() throws {
            let n = read(fd, &buffer, buffer.count)
            guard n > 0 else { throw ClientError.read }
            got += buffer[0..<n]
        }
        while true {
            var lineEnd = got[at...].firstRange(of: [13, 10])
            while lineEnd == nil { try more(); lineEnd = got[at...].firstRange(of: [13, 10]) }
            let sizeText = String(decoding: got[at..<lineEnd!.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw ClientError.malformed }
            at = lineEnd!.upperBound
            while got.count < at + size + 2 { try more() }
            if size == 0 { return body }
            body += got[at..<(at + size)]
            at += size + 2
        }
    }

    private func connectSocket() throws {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = LoopbackExporter.loopback(port: port)
        let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 } }
        guard ok else { close(s); throw ClientError.connect }
        var one: Int32 = 1
        setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        fd = s
    }
}
