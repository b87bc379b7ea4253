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
