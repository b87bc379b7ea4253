public import Hummingbird
import NIOCore

/// An HTTP API failure, answered as Prometheus does: a 4xx/5xx status and
/// `{"status":"error","errorType":"bad_data","error":"…"}`. Loki clients read the same shape.
public struct APIError: HTTPResponseError, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case badData = "bad_data"
        case execution = "execution"
        case notFound = "not_found"
        case unauthorized = "unauthorized"
        case tooLarge = "too_large"
        case unavailable = "unavailable"
        case timeout = "timeout"
        case `internal` = "internal"
    }

    public var status: HTTPResponse.Status
    public var kind: Kind
    public var message: String

    public init(_ status: HTTPResponse.Status, _ kind: Kind, _ message: String) {
        self.status = status
        self.kind = kind
        self.message = message
    }

    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, .badData, message) }
    public static func unprocessable(_ message: String) -> APIError { APIError(.unprocessableContent, .execution, message) }

    public var description: String { "\(status.code) \(kind.rawValue): \(message)" }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var w = JSONWriter(capacity: 128 + message.utf8.count)
        w.beginObject()
        w.field("status", "error")
        w.field("errorType", kind.rawValue)
        w.field("error", message)
        w.endObject()
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: w.bytes)))
    }
}

extension Response {
    /// A JSON response from bytes built by `JSONWriter`.
    static func json(_ w: JSONWriter, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: w.bytes)))
    }

    static func text(_ s: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8") -> Response {
        Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: s)))
    }
}

/// `{"status":"success","data":…}` around whatever `body` writes.
func successEnvelope(capacity: Int = 4096, _ body: (inout JSONWriter) -> Void) -> JSONWriter {
    var w = JSONWriter(capacity: capacity)
    w.beginObject()
    w.field("status", "success")
    w.key("data")
    body(&w)
    w.endObject()
    return w
}
