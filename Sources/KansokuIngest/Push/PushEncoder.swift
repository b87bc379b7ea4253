public import KansokuLogStore
import KansokuCore

/// Encodes push requests the way Promtail/Alloy (protobuf + snappy) and HTTP clients (JSON)
/// send them: the inverse of `PushDecoder`, for tests and for forwarding to a Loki-compatible
/// server.
public enum PushEncoder {
    /// An uncompressed `logproto.PushRequest`.
    public static func protobuf(_ streams: [StreamBatch]) -> [UInt8] {
        var w = ProtoWriter()
        for stream in streams {
            w.messageField(1) { s in
                s.stringField(1, stream.labels.description)
                for entry in stream.entries {
                    s.messageField(2) { e in
                        e.messageField(1) { t in
                            var secs = entry.timestamp / 1_000_000_000
                            var nanos = entry.timestamp % 1_000_000_000
                            if nanos < 0 { nanos += 1_000_000_000; secs -= 1 }
                            t.varintField(1, UInt64(bitPattern: secs))
                            t.varintField(2, UInt64(nanos))
                        }
                        e.bytesField(2, entry.line)
                        for m in entry.metadata {
                            e.messageField(3) { p in
                                p.stringField(1, m.name)
                                p.stringField(2, m.value)
                            }
                        }
                    }
                }
                s.varintField(3, stream.labels.stableHash)
            }
        }
        return w.bytes
    }

    /// A protobuf push body as sent with `Content-Type: application/x-protobuf`.
    public static func protobufSnappy(_ streams: [StreamBatch]) -> [UInt8] {
        Snappy.compress(protobuf(streams))
    }

    /// A JSON push body. Lines that are not valid UTF-8 cannot travel in JSON; their invalid
    /// bytes become U+FFFD, as any JSON encoder does.
    public static func json(_ streams: [StreamBatch]) -> [UInt8] {
        var out: [UInt8] = []
        out.append(contentsOf: #"{"streams":["#.utf8)
        for (i, stream) in streams.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"stream":"#.utf8)
            appendMap(stream.labels, to: &out)
            out.append(contentsOf: #","values":["#.utf8)
            for (j, entry) in stream.entries.enumerated() {
                if j > 0 { out.append(UInt8(ascii: ",")) }
                out.append(contentsOf: "[\"\(entry.timestamp)\",".utf8)
                appendJSONString(String(decoding: entry.line, as: UTF8.self).utf8, to: &out)
                if !entry.metadata.isEmpty {
                    out.append(UInt8(ascii: ","))
                    appendMap(entry.metadata, to: &out)
                }
                out.append(UInt8(ascii: "]"))
            }
            out.append(contentsOf: "]}".utf8)
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }

    private static func appendMap(_ labels: Labels, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        for (k, l) in labels.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            appendJSONString(l.name.utf8, to: &out)
            out.append(UInt8(ascii: ":"))
            appendJSONString(l.value.utf8, to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Appends `s` as a JSON string literal.
    static func appendJSONString(_ s: some Sequence<UInt8>, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for b in s {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
