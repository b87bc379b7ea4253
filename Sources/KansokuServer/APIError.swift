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
        case canceled = "canceled"
        case `internal` = "internal"
    }

    public var status: HTTPResponse.Status
    public var kind: Kind
    public var message: String
    /// The request's body is still unread and should be drained after answering (a body is
    /// one stream: it can be iterated only once, so only an untouched one may be drained).
    var drainsBody = false

    public init(_ status: HTTPResponse.Status, _ kind: Kind, _ message: String) {
        self.status = status
        self.kind = kind
        self.message = message
    }

    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, .badData, message) }
    public static func unprocessable(_ message: String) -> APIError { APIError(.unprocessableContent, .execution, message) }

    public var description: String { "\(status.code) \(kind.rawValue): \(message)" }

    /// A refused body: Loki's message and 413 (`seen` is what arrived when the size was not
    /// declared and reading stopped at the limit).
    public static func tooLarge(_ size: Int, limit: Int, unread: Bool = false) -> APIError {
        var e = APIError(.contentTooLarge, .tooLarge, "request body too large: \(size) bytes, limit: \(limit) bytes")
        e.drainsBody = unread
        return e
    }

    /// Loki's answer to a query past its deadline.
    public static let timedOut = APIError(.gatewayTimeout, .timeout,
        "request timed out, decrease the duration of the request or add more label matchers (prefer exact match over regex match) to reduce the amount of data processed")

    /// A query stopped because its client closed the connection: Prometheus's `canceled`, with
    /// the 499 status Prometheus and Loki log for it (nobody is left to read it).
    public static let clientClosedRequest = APIError(.init(code: 499, reasonPhrase: "Client Closed Request"), .canceled,
        "query was canceled: the client closed the connection")

    /// The most bytes of a refused body read and dropped after answering.
    static let maxDrainBytes = 1 << 30

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var w = JSONWriter(capacity: 128 + message.utf8.count)
        w.beginObject()
        w.field("status", "error")
        w.field("errorType", kind.rawValue)
        w.field("error", message)
        w.endObject()
        let bytes = ByteBuffer(bytes: w.bytes)
        guard drainsBody else {
            return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: bytes))
        }
        // The client may still be sending. One that writes its whole body before reading (and
        // asked for `Connection: close`, after which the server reads no further) would wait
        // forever; so the answer goes out first, then what is left of the body is read and
        // dropped, up to a bound, and such a client finishes its write and reads the 413.
        let body = request.body
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(contentLength: bytes.readableBytes) { writer in
            try await writer.write(bytes)
            var drained = 0
            do {
                for try await chunk in body {
                    drained += chunk.readableBytes
                    if drained > Self.maxDrainBytes { break }
                }
            } catch {
                // The connection went away; there is nothing left to answer.
            }
            try await writer.finish(nil)
        })
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
func successEnvelope(capacity: Int = 4096, warnings: [String] = [], _ body: (inout JSONWriter) -> Void) -> JSONWriter {
    var w = JSONWriter(capacity: capacity)
    w.beginObject()
    w.field("status", "success")
    w.key("data")
    body(&w)
    if !warnings.isEmpty {
        // Loki's place for what a partial answer lacks.
        w.key("warnings"); w.beginArray(); for text in warnings { w.string(text) }; w.endArray()
    }
    w.endObject()
    return w
}
