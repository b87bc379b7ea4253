/// Protobuf wire types (https://protobuf.dev/programming-guides/encoding/).
enum ProtoWireType: UInt8, Sendable {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
}

/// Why protobuf bytes could not be read.
public struct ProtobufError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Byte offset in the (decompressed) message.
    public var offset: Int
    public var message: String
    public var description: String { "protobuf: \(message) at byte \(offset)" }
}

/// Reads protobuf's wire format from a borrowed buffer.
///
/// The push API needs three small messages, so a hand-written reader is simpler than
/// generating code: no protoc plugin in the build, no runtime library, and fields are read
/// straight from the decompressed buffer with strict bounds checks.
struct ProtoReader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int
    /// Offset of `bytes[0]` in the outermost message, so errors point into the whole body.
    let base: Int

    init(_ bytes: UnsafeRawBufferPointer, base: Int = 0) {
        self.bytes = bytes
        self.offset = 0
        self.base = base
    }

    var isAtEnd: Bool { offset >= bytes.count }

    func error(_ message: String) -> ProtobufError { ProtobufError(offset: base + offset, message: message) }

    mutating func readVarint() throws(ProtobufError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while offset < bytes.count {
            let b = bytes[offset]
            offset += 1
            if shift == 63 && b > 1 { offset = start; throw error("varint overflows 64 bits") }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
        }
        offset = start
        throw error("truncated varint")
    }

    /// The next field's number and wire type.
    mutating func readTag() throws(ProtobufError) -> (field: UInt64, wire: ProtoWireType) {
        let start = offset
        let key = try readVarint()
        guard let wire = ProtoWireType(rawValue: UInt8(key & 7)), key >> 3 != 0 else {
            offset = start
            throw error("invalid field key \(key)")
        }
        return (key >> 3, wire)
    }

    /// A length-delimited field's bytes and the reader for them.
    mutating func readLengthDelimited() throws(ProtobufError) -> ProtoReader {
        let start = offset
        let n = try readVarint()
        guard n <= UInt64(bytes.count - offset) else {
            let left = bytes.count - offset
            offset = start
            throw error("length \(n) runs past the end of the message (\(left) bytes left)")
        }
        let sub = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Int(n))])
        let r = ProtoReader(sub, base: base + offset)
        offset += Int(n)
        return r
    }

    /// A `fixed64` (or `sfixed64`, `double`) field's 8 little-endian bytes.
    mutating func readFixed64() throws(ProtobufError) -> UInt64 {
        guard bytes.count - offset >= 8 else { throw error("truncated fixed64 field") }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += 8
        return v
    }

    /// A `fixed32` field's 4 little-endian bytes.
    mutating func readFixed32() throws(ProtobufError) -> UInt32 {
        guard bytes.count - offset >= 4 else { throw error("truncated fixed32 field") }
        var v: UInt32 = 0
        for i in 0..<4 { v |= UInt32(bytes[offset + i]) << (8 * UInt32(i)) }
        offset += 4
        return v
    }

    /// A string field's bytes as UTF-8 text (invalid sequences replaced).
    mutating func readString() throws(ProtobufError) -> String {
        let sub = try readLengthDelimited()
        return String(decoding: sub.bytes, as: UTF8.self)
    }

    /// Skips a field of an unknown number, as protobuf requires for forward compatibility.
    mutating func skip(_ wire: ProtoWireType) throws(ProtobufError) {
        switch wire {
        case .varint: _ = try readVarint()
        case .fixed64: try advance(8)
        case .fixed32: try advance(4)
        case .lengthDelimited: _ = try readLengthDelimited()
        case .startGroup, .endGroup: throw error("groups are not supported")
        }
    }

    private mutating func advance(_ n: Int) throws(ProtobufError) {
        guard bytes.count - offset >= n else { throw error("truncated fixed-width field") }
        offset += n
    }

    /// Checks that a known field arrived with the wire type its schema declares.
    func require(_ wire: ProtoWireType, is expected: ProtoWireType, field: String) throws(ProtobufError) {
        guard wire == expected else { throw error("field \(field) has wire type \(wire.rawValue), expected \(expected.rawValue)") }
    }
}

/// Writes protobuf's wire format; nested messages are built separately and appended with
/// their length.
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: UInt64, _ wire: ProtoWireType) { varint(field << 3 | UInt64(wire.rawValue)) }

    mutating func varintField(_ field: UInt64, _ v: UInt64) {
        guard v != 0 else { return }  // proto3 omits default values
        tag(field, .varint)
        varint(v)
    }

    mutating func bytesField(_ field: UInt64, _ b: some Collection<UInt8>) {
        tag(field, .lengthDelimited)
        varint(UInt64(b.count))
        bytes.append(contentsOf: b)
    }

    mutating func stringField(_ field: UInt64, _ s: String) { bytesField(field, Array(s.utf8)) }

    mutating func messageField(_ field: UInt64, _ build: (inout ProtoWriter) -> Void) {
        var sub = ProtoWriter()
        build(&sub)
        bytesField(field, sub.bytes)
    }
}
