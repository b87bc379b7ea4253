import Foundation

/// Hostile requests to the routes beside Loki's and Prometheus's query APIs: remote write,
/// OTLP logs and metrics, and explain.
extension HostileRequestTests {
    /// A protobuf length-delimited field.
    static func field(_ number: Int, _ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [UInt8(number << 3 | 2)]
        var n = bytes.count
        while n >= 0x80 { out.append(UInt8(n & 0x7F) | 0x80); n >>= 7 }
        out.append(UInt8(n))
        return out + bytes
    }

    /// A remote write 1.0 `WriteRequest` with one series of one sample, snappy-framed.
    static func writeRequest(_ labels: [(String, String)], value: Double = 1, timestamp: Int64 = 1_700_000_000_000) -> Data {
        var sample: [UInt8] = [0x09] + withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } + [0x10]
        var t = UInt64(bitPattern: timestamp)
        while t >= 0x80 { sample.append(UInt8(t & 0x7F) | 0x80); t >>= 7 }
        sample.append(UInt8(t))
        let series = labels.flatMap { field(1, field(1, Array($0.0.utf8)) + field(2, Array($0.1.utf8))) } + field(2, sample)
        return snappy(field(1, series))
    }

    static func explain(_ params: [(String, String)]) -> String { q("/kansoku/api/v1/explain", params) }

    static let remoteWrite = ["Content-Type": "application/x-protobuf", "Content-Encoding": "snappy"]
    static let otlpProtobuf = ["Content-Type": "application/x-protobuf"]

    static let routes: [Case] = [
        Case(category: "routes", name: "remote write: not snappy", method: "POST", path: "/api/v1/write",
             body: Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]), headers: remoteWrite, statuses: [400]),
        Case(category: "routes", name: "remote write: snappy says 4 GiB", method: "POST", path: "/api/v1/write",
             body: snappy(Array("0123456789".utf8), declared: 0xFFFF_FFFF), headers: remoteWrite, statuses: [413], contains: "request body too large"),
        Case(category: "routes", name: "remote write: protobuf length 2^40", method: "POST", path: "/api/v1/write",
             body: snappy([0x0A, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]), headers: remoteWrite, statuses: [400]),
        Case(category: "routes", name: "remote write: series without a metric name", method: "POST", path: "/api/v1/write",
             body: writeRequest([("job", "x")]), headers: remoteWrite, statuses: [400]),
        Case(category: "routes", name: "remote write: 5,000-byte label value", method: "POST", path: "/api/v1/write",
             body: writeRequest([("__name__", "up"), ("job", String(repeating: "v", count: 5000))]), headers: remoteWrite,
             statuses: [400], contains: "longer than 2048 bytes"),
        Case(category: "routes", name: "remote write: invalid label name", method: "POST", path: "/api/v1/write",
             body: writeRequest([("__name__", "up"), ("0bad name", "x")]), headers: remoteWrite, statuses: [400]),
        Case(category: "routes", name: "remote write: timestamp -2^63", method: "POST", path: "/api/v1/write",
             body: writeRequest([("__name__", "up")], timestamp: .min), headers: remoteWrite, statuses: [400]),
        Case(category: "routes", name: "remote write 2.0 content type", method: "POST", path: "/api/v1/write",
             body: writeRequest([("__name__", "up")]),
             headers: ["Content-Type": "application/x-protobuf;proto=io.prometheus.write.v2.Request", "Content-Encoding": "snappy"], statuses: [415]),
        Case(category: "routes", name: "remote write: gzip encoding", method: "POST", path: "/api/v1/write",
             body: Data("x".utf8), headers: ["Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"], statuses: [415]),
        Case(category: "routes", name: "OTLP logs: broken protobuf", method: "POST", path: "/otlp/v1/logs",
             body: Data([0x0A, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]), headers: otlpProtobuf, statuses: [400]),
        Case(category: "routes", name: "OTLP logs: JSON nested 100,000 deep", method: "POST", path: "/otlp/v1/logs",
             body: Data((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8), headers: json, statuses: [400]),
        Case(category: "routes", name: "OTLP logs: text body", method: "POST", path: "/otlp/v1/logs",
             body: Data("hello".utf8), headers: ["Content-Type": "text/plain"], statuses: [415]),
        Case(category: "routes", name: "OTLP metrics: broken protobuf", method: "POST", path: "/api/v1/otlp/v1/metrics",
             body: Data([0x0A, 0x05, 0x0A, 0x80, 0x80, 0x80, 0x80]), headers: otlpProtobuf, statuses: [400]),
        Case(category: "routes", name: "OTLP metrics: JSON nested 100,000 deep", method: "POST", path: "/api/v1/otlp/v1/metrics",
             body: Data((String(repeating: "{\"a\":", count: 100_000) + "1" + String(repeating: "}", count: 100_000)).utf8), headers: json, statuses: [400]),
        Case(category: "routes", name: "explain: unparsable query", path: explain([("query", "{app=\"api\"} |= ")]), statuses: [400], contains: "parse error"),
        Case(category: "routes", name: "explain: ten years", path: explain([("query", "{app=\"api\"}"), ("start", "1400000000"), ("end", "1700000000")]),
             statuses: [400], contains: "the query time range exceeds the limit"),
        Case(category: "routes", name: "explain: unknown baseline", path: explain([("query", "{app=\"api\"}"), ("baseline", "tomorrow")]), statuses: [400]),
        Case(category: "routes", name: "explain: baseline range of ten years",
             path: explain([("query", "{app=\"api\"}"), ("baseline_start", "1400000000"), ("baseline_end", "1700000000")]), statuses: [400],
             contains: "the baseline may span at most 31 days"),
        Case(category: "routes", name: "explain: filter without a value", path: explain([("query", "{app=\"api\"}"), ("filter", "novalue")]), statuses: [400]),
        Case(category: "routes", name: "explain: limit 10^18", path: explain([("query", "{app=\"api\"}"), ("limit", "1000000000000000000")]), statuses: [400]),
        Case(category: "routes", name: "explain: top -1", path: explain([("query", "{app=\"api\"}"), ("top", "-1")]), statuses: [400]),
        Case(category: "routes", name: "explain request: no id", path: q("/kansoku/api/v1/explain/request", [("time", "1700000000")]), statuses: [400]),
        Case(category: "routes", name: "explain request: around 10^6 days", path: q("/kansoku/api/v1/explain/request", [("id", "abc"), ("around", "1000000d")]),
             statuses: [400]),
        Case(category: "routes", name: "explain request: limit -5", path: q("/kansoku/api/v1/explain/request", [("id", "abc"), ("limit", "-5")]),
             statuses: [400]),
    ]
}
