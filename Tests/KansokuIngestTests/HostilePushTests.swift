import Testing
@testable import KansokuIngest

/// Push bodies that lie about their sizes or nest without end.
@Suite struct HostilePushTests {
    @Test func snappyLengthHeaderIsCheckedBeforeAllocating() {
        // A 5-byte header declaring 4 GiB - 1.
        let body: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00, 0x61]
        #expect(throws: SnappyError.tooLarge(length: 0xFFFF_FFFF, limit: 1 << 20)) {
            try body.withUnsafeBytes { try Snappy.decompress($0, limit: 1 << 20) }
        }
        #expect(throws: SnappyError.badLengthHeader) {
            try [UInt8](repeating: 0xFF, count: 10).withUnsafeBytes { try Snappy.decompress($0, limit: 1 << 20) }
        }
    }

    @Test func protobufLengthsPastTheEndAreRefused() {
        // streams = 1, length-delimited, declared length 2^40.
        let message: [UInt8] = [0x0A, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]
        #expect(throws: PushDecodeError.protobuf(ProtobufError(offset: 1, message: "length 1099511627776 runs past the end of the message (0 bytes left)"))) {
            try message.withUnsafeBytes { try PushDecoder.decodePushRequest($0, tenant: "fake") }
        }
        let overflow: [UInt8] = [0x0A] + [UInt8](repeating: 0xFF, count: 11)
        #expect(throws: PushDecodeError.self) { try overflow.withUnsafeBytes { try PushDecoder.decodePushRequest($0, tenant: "fake") } }
    }

    @Test func hundredThousandDeepJSONIsASyntaxErrorNotAStackOverflow() {
        let body = Array((#"{"streams":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}").utf8)
        #expect(throws: PushDecodeError.self) { try PushDecoder.decode(body: body, contentType: "application/json", tenant: "fake") }
        let unknown = Array((#"{"x":"# + String(repeating: #"{"a":["#, count: 100_000) + "1" + String(repeating: "]}", count: 100_000) + #","streams":[]}"#).utf8)
        #expect((try? PushDecoder.decode(body: unknown, contentType: "application/json", tenant: "fake"))?.isEmpty == true)
    }
}
