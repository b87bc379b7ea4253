import Testing
@testable import KansokuIngest

/// Bodies made by Python's gzip and zlib modules for `{"streams":[]}`.
@Suite struct InflateTests {
    static let plain = Array(#"{"streams":[]}"#.utf8)
    static let gzip: [UInt8] = [
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x56, 0x2a, 0x2e, 0x29, 0x4a, 0x4d, 0xcc,
        0x2d, 0x56, 0xb2, 0x8a, 0x8e, 0xad, 0x05, 0x00, 0xed, 0x95, 0xe0, 0x40, 0x0e, 0x00, 0x00, 0x00,
    ]
    static let rawDeflate: [UInt8] = [0xab, 0x56, 0x2a, 0x2e, 0x29, 0x4a, 0x4d, 0xcc, 0x2d, 0x56, 0xb2, 0x8a, 0x8e, 0xad, 0x05, 0x00]
    static let zlibWrapped: [UInt8] = [0x78, 0x9c] + rawDeflate + [0x27, 0x72, 0x05, 0x2e]

    @Test func readsGzipRawDeflateAndZlib() throws {
        #expect(try Inflate.decompress(Self.gzip, format: .gzip, limit: 1 << 20) == Self.plain)
        #expect(try Inflate.decompress(Self.rawDeflate, format: .deflate, limit: 1 << 20) == Self.plain)
        #expect(try Inflate.decompress(Self.zlibWrapped, format: .deflate, limit: 1 << 20) == Self.plain)
    }

    @Test func refusesDamagedTruncatedAndOversizedBodies() {
        var damaged = Self.gzip
        damaged[damaged.count - 6] ^= 0xFF   // the CRC-32 of the gzip trailer
        #expect(throws: InflateError.self) { try Inflate.decompress(damaged, format: .gzip, limit: 1 << 20) }
        #expect(throws: InflateError.self) { try Inflate.decompress(Array(Self.gzip.prefix(20)), format: .gzip, limit: 1 << 20) }
        #expect(throws: InflateError.self) { try Inflate.decompress(Array("not gzip".utf8), format: .gzip, limit: 1 << 20) }
        #expect(throws: InflateError.tooLarge(limit: 4)) { try Inflate.decompress(Self.gzip, format: .gzip, limit: 4) }
    }
}
