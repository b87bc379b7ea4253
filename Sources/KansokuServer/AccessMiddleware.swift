public import Hummingbird
import HTTPTypes

/// Enforces the optional bearer token and, with tenancy on, the presence of `X-Scope-OrgID`.
/// `/ready`, `/healthz` and `/metrics` stay open so probes and scrapers need no secrets.
public struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let bearerToken: String?
    let tenancy: Bool

    public init(bearerToken: String?, tenancy: Bool) {
        self.bearerToken = bearerToken
        self.tenancy = tenancy
    }

    static var openPaths: Set<String> { ["/ready", "/healthz", "/metrics", "/-/ready", "/-/healthy"] }

    public func handle(_ request: Request, context: Context,
                       next: (Request, Context) async throws -> Response) async throws -> Response {
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
