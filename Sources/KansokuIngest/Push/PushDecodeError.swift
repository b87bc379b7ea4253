public import KansokuCore

/// Why a `/loki/api/v1/push` body was refused. Every case is the client's fault: the server
/// answers 400 with `description` as the JSON error message.
public enum PushDecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    case unsupportedContentType(String)
    case snappy(SnappyError)
    case protobuf(ProtobufError)
    /// A Prometheus remote-write body that is not a valid `prompb.WriteRequest`.
    case remoteWrite(ProtobufError)
    case json(JSONSyntaxError)
    /// The body is valid JSON but not a push request: `path` names the place (`streams[2].values[0]`).
    case shape(path: String, expected: String)
    case invalidLabels(stream: Int, LabelSetSyntaxError)
    case invalidLabelName(stream: Int, name: String)
    case noLabels(stream: Int)
    case invalidTimestamp(stream: Int, entry: Int, text: String)

    public var description: String {
        switch self {
        case .unsupportedContentType(let t):
            return "unsupported Content-Type \(goQuotedASCII(t)): expected application/json or application/x-protobuf"
        case .snappy(let e): return "decompressing protobuf push body: \(e)"
        case .protobuf(let e): return "decoding logproto.PushRequest: \(e)"
        case .remoteWrite(let e): return "decoding prompb.WriteRequest: \(e)"
        case .json(let e): return "decoding JSON push body: \(e)"
        case .shape(let path, let expected): return "decoding JSON push body: \(path): expected \(expected)"
        case .invalidLabels(let s, let e): return "stream \(s): \(e)"
        case .invalidLabelName(let s, let n):
            return "stream \(s): invalid label name \(goQuotedASCII(n)): must match [a-zA-Z_][a-zA-Z0-9_]*"
        case .noLabels(let s): return "stream \(s): at least one label pair is required per stream"
        case .invalidTimestamp(let s, let e, let t):
            return "stream \(s) entry \(e): invalid timestamp \(goQuotedASCII(t)): expected unix nanoseconds as a decimal string"
        }
    }
}

private func goQuotedASCII(_ s: String) -> String { goQuoted(String(s.prefix(200))) }
