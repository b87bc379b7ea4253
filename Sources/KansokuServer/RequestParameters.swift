public import Hummingbird
public import KansokuCore
import NIOCore

/// Query parameters merged with an `application/x-www-form-urlencoded` body, as the Loki and
/// Prometheus APIs accept both GET and POST forms.
public struct RequestParameters: Sendable {
    public private(set) var values: [String: [String]] = [:]

    public static func from(_ request: inout Request, bodyLimit: Int) async throws -> RequestParameters {
        var p = RequestParameters()
        // Decoded here rather than through the router's query parameters so that `+` means a
        // space, as in the form encoding Grafana, Python and Go clients send.
        if let query = request.uri.query { p.addForm(query) }
        if request.method == .post,
           request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true {
            let body = try await request.collectBody(limit: bodyLimit)
            p.addForm(String(buffer: body))
        }
        return p
    }

    /// The query string's parameters only (no body).
    public static func fromQuery(_ request: Request) -> RequestParameters {
        var p = RequestParameters()
        if let query = request.uri.query { p.addForm(query) }
        return p
    }

    mutating func addForm(_ form: String) {
        for pair in form.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let k = Self.decode(kv[0]), v = kv.count > 1 ? Self.decode(kv[1]) : ""
            values[k, default: []].append(v)
        }
    }

    static func decode(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "+") { bytes.append(0x20); continue }
            if c == UInt8(ascii: "%"), it.count >= 2, let h = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(h); it = it.dropFirst(2); continue
            }
            bytes.append(c)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public subscript(_ name: String) -> String? { values[name]?.last.flatMap { $0.isEmpty ? nil : $0 } }
    public func all(_ name: String) -> [String] { values[name] ?? [] }

    public func required(_ name: String) throws(APIError) -> String {
        guard let v = self[name] else { throw .badRequest("missing required parameter \"\(name)\"") }
        return v
    }

    /// Times further than this from 1970 (about 146 years) are refused, so arithmetic on
    /// them (ranges, steps, lookbacks) cannot overflow.
    public static let maxTimeMagnitude: Int64 = 1 << 62

    /// A time parameter in any of the accepted forms (RFC3339, unix seconds, unix ns, `now-1h`).
    public func time(_ name: String, default def: Int64) throws(APIError) -> Int64 {
        guard let v = self[name] else { return def }
        let t: Int64
        do { t = try TimeParser.parse(v) } catch { throw .badRequest("invalid parameter \"\(name)\": \(error)") }
        guard t.magnitude <= UInt64(Self.maxTimeMagnitude) else {
            throw .badRequest("invalid parameter \"\(name)\": \(goQuoted(v)) is out of the supported time range")
        }
        return t
    }

    /// A duration as Prometheus syntax (`5m`) or float seconds; nil when absent.
    public func duration(_ name: String) throws(APIError) -> PromDuration? {
        guard let v = self[name] else { return nil }
        guard let d = PromDuration(durationOrSeconds: v), d.milliseconds >= 0,
              d.milliseconds <= Self.maxTimeMagnitude / 1_000_000 else {
            throw .badRequest("invalid parameter \"\(name)\": cannot parse \"\(v)\" to a valid duration")
        }
        return d
    }

    public func int(_ name: String, default def: Int) throws(APIError) -> Int {
        guard let v = self[name] else { return def }
        guard let n = Int(v), n >= 0 else { throw .badRequest("invalid parameter \"\(name)\": \"\(v)\" is not a non-negative integer") }
        return n
    }
}

extension Request {
    /// The whole body, refused with 413 before it is read when its declared length is over
    /// `limit`, and as soon as more than `limit` bytes arrive when it is streamed.
    public mutating func collectBody(limit: Int) async throws -> ByteBuffer {
        if let declared = headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw APIError.tooLarge(declared, limit: limit, unread: true)
        }
        do {
            return try await collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.tooLarge(limit + 1, limit: limit)
        }
    }
}
