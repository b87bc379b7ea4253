import Hummingbird
import KansokuIngest
import NIOCore

/// The two encodings of OTLP over HTTP, chosen by `Content-Type`; the answer uses the same.
enum OTLPFormat {
    case protobuf
    case json

    init(_ request: Request) throws {
        let type = request.headers[.contentType] ?? ""
        let bare = type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch bare {
        case "application/x-protobuf", "application/protobuf": self = .protobuf
        case "application/json": self = .json
        default:
            throw APIError(.unsupportedMediaType, .badData,
                           "content type: \"\(type.prefix(200))\" is not supported: send application/x-protobuf or application/json")
        }
    }

    /// An export's successful answer: an empty `Export…ServiceResponse`.
    var success: Response {
        switch self {
        case .protobuf:
            return Response(status: .ok, headers: [.contentType: "application/x-protobuf"], body: .init(byteBuffer: ByteBuffer()))
        case .json:
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
    }

    /// Decodes with `protobuf` or `json` as the format says; a bad body is a 400 naming why.
    func decode<T>(_ bytes: [UInt8], protobuf: (UnsafeRawBufferPointer) throws(OTLPDecodeError) -> T,
                   json: (UnsafeRawBufferPointer) throws(OTLPDecodeError) -> T) throws -> T {
        do {
            return try bytes.withUnsafeBytes { (b) throws(OTLPDecodeError) -> T in
                switch self {
                case .protobuf: return try protobuf(b)
                case .json: return try json(b)
                }
            }
        } catch {
            throw APIError.badRequest("\(error)")
        }
    }
}
