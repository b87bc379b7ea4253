import Foundation

/// A minimal blocking HTTP/1.1 client over POSIX sockets, for talking to servers started by
/// the tests on loopback without depending on the code under test.
struct HTTPTestClient {
    struct Response {
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> Any { try JSONSerialization.jsonObject(with: body) }
    }

    enum Failure: Error, CustomStringConvertible {
        case connect(String), io(String), badResponse(String)
        var description: String {
            switch self {
            case .connect(let s): return "connect: \(s)"
            case .io(let s): return "io: \(s)"
            case .badResponse(let s): return "bad response: \(s)"
            }
        }
    }

    var host = "127.0.0.1"
    var port: Int
    var timeoutSeconds = 30

    func get(_ path: String, headers: [String: String] = [:]) throws -> Response {
        try request("GET", path, headers: headers, body: Data())
    }

    func post(_ path: String, body: Data, contentType: String, headers: [String: String] = [:]) throws -> Response {
        var h = headers
        h["Content-Type"] = contentType
        return try request("POST", path, headers: h, body: body)
    }

    func request(_ method: String, _ path: String, headers: [String: String], body: Data) throws -> Response {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.connect("socket failed") }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw Failure.connect("\(host):\(port): errno \(errno)") }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        head += "\r\n"
        var out = Data(head.utf8)
        out.append(body)
        let sendError: Int32? = out.withUnsafeBytes { buf in
            var sent = 0
            while sent < buf.count {
                let n = send(fd, buf.baseAddress! + sent, buf.count - sent, Int32(MSG_NOSIGNAL))
                guard n > 0 else { return errno }
                sent += n
            }
            return nil
        }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n == 0 { break }
            guard n > 0 else {
                // A server may answer and close before the whole body is sent (413): what
                // arrived is the answer.
                if !data.isEmpty { break }
                throw Failure.io("recv errno \(errno)" + (sendError.map { " after send errno \($0)" } ?? ""))
            }
            data.append(contentsOf: chunk[0..<n])
        }
        if data.isEmpty, let sendError { throw Failure.io("send errno \(sendError)") }
        return try Self.parse(data)
    }

    static func parse(_ data: Data) throws -> Response {
        guard let sep = data.range(of: Data("\r\n\r\n".utf8)) else { throw Failure.badResponse("no header end") }
        let head = String(decoding: data[..<sep.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure.badResponse(head[0]) }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            if let c = line.firstIndex(of: ":") {
                headers[line[..<c].lowercased()] = line[line.index(after: c)...].trimmingCharacters(in: .whitespaces)
            }
        }
        var body = Data(data[sep.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return Response(status: status, headers: headers, body: body)
    }

    static func dechunk(_ d: Data) -> Data {
        var out = Data()
        var i = d.startIndex
        while i < d.endIndex {
            guard let lineEnd = d[i...].range(of: Data("\r\n".utf8)) else { break }
            let sizeText = String(decoding: d[i..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";")[0]
            guard let size = Int(sizeText, radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            let end = d.index(start, offsetBy: size, limitedBy: d.endIndex) ?? d.endIndex
            out.append(d[start..<end])
            i = d.index(end, offsetBy: 2, limitedBy: d.endIndex) ?? d.endIndex
        }
        return out
    }
}

/// Percent-encodes a query parameter value.
func urlEncode(_ s: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
}
