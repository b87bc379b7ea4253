public import Hummingbird
import HTTPTypes

/// Enforces the optional bearer token and, with tenancy on, the presence of `X-Scope-OrgID`.
/// With `server.tenants` listed, credentials decide the tenant instead: the request goes on
/// with `X-Scope-OrgID` set to the tenant its `Authorization` header authenticates, and a
/// header naming any other tenant is refused.
/// `/ready`, `/healthz` and `/metrics` stay open so probes and scrapers need no secrets.
/// A body declared larger than `server.max_request_bytes` is refused with 413 on every path,
/// before any of it is read.
public struct AccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let bearerToken: String?
    let tenancy: Bool
    let maxRequestBytes: Int
    let tenants: TenantAuthenticator?

    init(bearerToken: String?, tenancy: Bool, maxRequestBytes: Int = .max, tenants: TenantAuthenticator? = nil) {
        self.bearerToken = bearerToken
        self.tenancy = tenancy
        self.maxRequestBytes = maxRequestBytes
        self.tenants = tenants
    }

    public init(bearerToken: String?, tenancy: Bool, maxRequestBytes: Int = .max) {
        self.init(bearerToken: bearerToken, tenancy: tenancy, maxRequestBytes: maxRequestBytes, tenants: nil)
    }

    static var openPaths: Set<String> { ["/ready", "/healthz", "/metrics", "/-/ready", "/-/healthy"] }

    public func handle(_ request: Request, context: Context,
                       next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > maxRequestBytes {
            throw APIError.tooLarge(declared, limit: maxRequestBytes, unread: true)
        }
        if Self.openPaths.contains(request.uri.path) { return try await next(request, context) }
        if tenancy, let tenants {
            guard let authorization = request.headers[.authorization], let tenant = tenants.tenant(forAuthorization: authorization) else {
                throw APIError(.unauthorized, .unauthorized, "missing or unknown credentials")
            }
            if let named = request.headers[values: tenantHeader].first, !named.isEmpty, named != tenant {
                throw APIError(.forbidden, .unauthorized, "these credentials are not for tenant \(named)")
            }
            var head = request.head
            head.headerFields[tenantHeader] = tenant
            return try await next(Request(head: head, body: request.body), context)
        }
        if let bearerToken {
            guard let auth = request.headers[.authorization], auth == "Bearer \(bearerToken)" else {
                throw APIError(.unauthorized, .unauthorized, "missing or wrong bearer token")
            }
        }
        if tenancy {
            guard let named = request.headers[values: tenantHeader].first, !named.isEmpty else {
                throw APIError(.unauthorized, .unauthorized, "no org id: set the X-Scope-OrgID header")
            }
            if let problem = TenantID.problem(named) { throw APIError.badRequest(problem) }
        }
        return try await next(request, context)
    }
}

let tenantHeader = HTTPField.Name("X-Scope-OrgID")!

/// The tenant of whatever names none (requests with tenancy off, scrape jobs and rule groups
/// without `tenant:`): Loki's `fake`.
let defaultTenant = "fake"

/// The tenant of a request as the client sent it, not rewritten by `AccessMiddleware` (a
/// websocket handler sees the upgrade request so): with `server.tenants`, the tenant its
/// credentials authenticate (nil if none); otherwise as `tenant(of:tenancy:)`.
func tenant(of request: Request, tenancy: Bool, tenants: TenantAuthenticator?) -> String? {
    guard tenancy, let tenants else { return tenant(of: request, tenancy: tenancy) }
    return request.headers[.authorization].flatMap { tenants.tenant(forAuthorization: $0) }
}

/// The tenant of a request: its `X-Scope-OrgID` with tenancy on, else `defaultTenant`.
func tenant(of request: Request, tenancy: Bool) -> String {
    guard tenancy, let t = request.headers[values: tenantHeader].first, !t.isEmpty else { return defaultTenant }
    return t
}
