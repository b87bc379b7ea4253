public import Hummingbird
import HTTPTypes

/// Enforces the optional bearer token and, with tenancy on, the presence of `X-Scope-OrgID`.
/// `/ready`, `/healthz` and `/metrics` stay open so probes and scrapers need no secrets.
/// A body declared larger than `server.max_request_bytes` is refused with 413 on every path,
/// before any of it is read.
public struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let bearerToken: String?
    let tenancy: Bool
    let maxRequestBytes: Int

    public init(bearerToken: String?, tenancy: Bool, maxRequestBytes: Int = .max) {
        self.bearerToken = bearerToken
        self.tenancy = tenancy
        self.maxRequestBytes = maxRequestBytes
    }

    static var openPaths: Set<String> { ["/ready", "/healthz", "/metrics", "/-/ready", "/-/healthy"] }

    public func handle(_ request: Request, context: Context,
                       next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maxRequestBytes {
            throw APIError.tooLarge(declared, limit: maxRequestBytes, unread: true)
        }
        if Self.openPaths.contains(request.uri.path) { return try await next(request, context) }
        if let bearerToken {
            guard let auth = request.headers[.authorization], auth == "Bearer \(bearerToken)" else {
                throw APIError(.unauthorized, .unauthorized, "missing or wrong bearer token")
            }
        }
        if tenancy, request.headers[values: tenantHeader].first?.isEmpty != false {
            throw APIError(.unauthorized, .unauthorized, "no org id: set the X-Scope-OrgID header")
        }
        return try await next(request, context)
    }
}

let tenantHeader = HTTPField.Name("X-Scope-OrgID")!

/// The tenant of a request: its `X-Scope-OrgID` with tenancy on, else Loki's `fake`.
func tenant(of request: Request, tenancy: Bool) -> String {
    guard tenancy, let t = request.headers[values: tenantHeader].first, !t.isEmpty else { return "fake" }
    return t
}
