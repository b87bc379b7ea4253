import KansokuCore
import Testing
@testable import KansokuMetricStore

@Suite struct WALRecordTests {
    @Test func sampleValuesRoundTripBitExactly() throws {
        let values: [Double] = [0, -0.0, 1, -1, 42, 1e15, 0x1p52, -0x1p52, 0x1p53, 1.5, .nan, StaleNaN.value,
                                .infinity, -.infinity, .greatestFiniteMagnitude, 123_456_789, -7]
        let samples = values.enumerated().map { WALRecord.RefSample(ref: UInt64($0.offset * 3 + 1), t: Int64($0.offset) * 15_000, v: $0.element) }
        var bytes: [UInt8] = []
        WALRecord.encodeSamples(samples, into: &bytes)
        var decoded: [WALRecord.RefSample] = []
        let (end, clean) = bytes.withUnsafeBytes { buf in
            WALRecord.scan(buf) { type, body in
                if case .samples(let s)? = try? WALRecord.decode(type: type, body: body) { decoded = s }
            }
        }
        #expect(clean && end == bytes.count)
        #expect(decoded.map(\.ref) == samples.map(\.ref))
        #expect(decoded.map(\.t) == samples.map(\.t))
        #expect(decoded.map(\.v.bitPattern) == samples.map(\.v.bitPattern))
        // Whole numbers are short: a counter sample costs a few bytes, not eight.
        var small: [UInt8] = []
        WALRecord.encodeSamples([.init(ref: 1, t: 0, v: 1234)], into: &small)
        #expect(small.count <= 8 + 1 + 1 + 1 + 1 + 3)
    }
}

@Suite struct WALSeriesRecordTests {
    @Test func seriesRecordsShareSymbols() throws {
        let series = (0..<100).map { i in
            (ref: UInt64(i + 1), labels: Labels(["__name__": "http_requests_total", "job": "api", "pod": "pod-\(i % 10)", "code": "200"]))
        }
        var bytes: [UInt8] = []
        WALRecord.encodeSeries(series, into: &bytes)
        var back: [(ref: UInt64, labels: Labels)] = []
        _ = bytes.withUnsafeBytes { buf in
            WALRecord.scan(buf) { type, body in
                if case .series(let s)? = try? WALRecord.decode(type: type, body: body) { back = s }
            }
        }
        #expect(back.map(\.ref) == series.map(\.ref))
        #expect(back.map(\.labels) == series.map(\.labels))
        #expect(bytes.count < 100 * 12)
    }
}
