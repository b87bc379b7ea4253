import CZlib

/// Decompresses gzip and deflate push bodies (`Content-Encoding`), which Loki's distributor
/// accepts besides snappy: `gzip` is RFC 1952; `deflate` is raw RFC 1951 data as Go's
/// compress/flate reads it, and zlib-wrapped (RFC 1950) data, what many HTTP clients send
/// under that name, is recognised by its header and accepted too. zlib itself does the work.
public enum Inflate {
    public enum Format: Sendable {
        case gzip, deflate
    }

    /// The decompressed bytes; throws when the data is damaged, truncated, or larger than `limit`.
    public static func decompress(_ input: [UInt8], format: Format, limit: Int) throws(InflateError) -> [UInt8] {
        let windowBits: Int32
        switch format {
        case .gzip: windowBits = 15 + 16
        case .deflate:
            let zlibWrapped = input.count >= 2 && input[0] & 0x0F == 8 && (UInt16(input[0]) << 8 | UInt16(input[1])) % 31 == 0
            windowBits = zlibWrapped ? 15 : -15
        }
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .damaged("zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        out.reserveCapacity(min(limit, input.count * 4))
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var status = Z_OK
        input.withUnsafeBufferPointer { src in
            stream.next_in = UnsafeMutablePointer(mutating: src.baseAddress)
            stream.avail_in = UInt32(src.count)
            while status == Z_OK && out.count <= limit {
                let produced = chunk.withUnsafeMutableBufferPointer { c -> Int in
                    stream.next_out = c.baseAddress
                    stream.avail_out = UInt32(c.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return c.count - Int(stream.avail_out)
                }
                out.append(contentsOf: chunk[0..<produced])
                if status == Z_BUF_ERROR && stream.avail_in == 0 { break }   // input ended early
                if status == Z_BUF_ERROR { status = Z_OK }
            }
        }
        guard out.count <= limit else { throw .tooLarge(limit: limit) }
        guard status == Z_STREAM_END else {
            let reason = stream.msg.map { String(cString: $0) } ?? (status == Z_BUF_ERROR || status == Z_OK ? "unexpected end of data" : "zlib status \(status)")
            throw .damaged(reason)
        }
        return out
    }
}

/// Why a compressed push body could not be read.
public enum InflateError: Error, Sendable, Hashable, CustomStringConvertible {
    case damaged(String)
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case .damaged(let reason): return "invalid compressed data: \(reason)"
        case .tooLarge(let limit): return "decompressed body larger than \(limit) bytes"
        }
    }
}
