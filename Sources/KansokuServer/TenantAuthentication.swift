import Foundation
import KansokuCore

/// One entry of `server.tenants`: a tenant and the credentials that act as it.
public struct TenantCredentialSettings: Codable, Sendable {
    public struct BasicAuth: Codable, Sendable {
        public var username: String
        public var passwordFile: String

        enum CodingKeys: String, CodingKey {
            case username
            case passwordFile = "password_file"
        }
    }

    public var id: String
    /// A file holding the bearer token of this tenant.
    public var bearerTokenFile: String?
    /// HTTP basic auth (what Grafana's Loki data source sends).
    public var basicAuth: BasicAuth?

    enum CodingKeys: String, CodingKey {
        case id
        case bearerTokenFile = "bearer_token_file"
        case basicAuth = "basic_auth"
    }
}

/// Tenant IDs as Loki (dskit) accepts them: 1 to 150 of `a-z A-Z 0-9 ! - _ . * ' ( )`,
/// and not `.` or `..`, so an ID is always safe as a path segment or object key prefix.
enum TenantID {
    static let maxLength = 150

    static func problem(_ id: String) -> String? {
        if id.isEmpty { return "tenant ID is empty" }
        if id.utf8.count > maxLength { return "tenant ID is longer than \(maxLength) characters" }
        if id == "." || id == ".." { return "tenant ID must not be \"\(id)\"" }
        for byte in id.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "!"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "*"),
                 UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"):
                continue
            default:
                return "tenant ID \(id.debugDescription) has a character other than letters, digits and !-_.*'()"
            }
        }
        return nil
    }
}

/// Maps a request's `Authorization` header to the tenant it authenticates, so a client acts
/// only as its own tenant and cannot name another in `X-Scope-OrgID`.
///
/// Every configured credential is compared, in time that does not depend on where the bytes
/// differ, and the loop does not stop at a match: how long a check takes says nothing about
/// how close a guess was, nor which tenant it matched.
struct TenantAuthenticator: Sendable {
    struct Credential: Sendable {
        let tenant: String
        /// The whole expected header value: `Bearer <token>` or `Basic <base64(user:password)>`.
        let authorization: [UInt8]
    }

    let credentials: [Credential]

    /// The tenant whose credential `authorization` is, or nil.
    func tenant(forAuthorization authorization: String) -> String? {
        let presented = Array(authorization.utf8)
        var found: String?
        for credential in credentials where Self.constantTimeEqual(credential.authorization, presented) {
            found = credential.tenant
        }
        return found
    }

    /// Equal bytes, compared without an early exit (only the lengths, which are not secret,
    /// change the time taken).
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference: UInt8 = a.count == b.count ? 0 : 1
        let n = max(a.count, b.count)
        for i in 0..<n {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }

    /// Reads the secrets the settings name; errors name the key and the file.
    static func load(_ settings: [TenantCredentialSettings]) throws(ConfigError) -> TenantAuthenticator {
        var credentials: [Credential] = []
        var seen = Set<String>()
        for (index, entry) in settings.enumerated() {
            let key = "server.tenants[\(index)]"
            if let problem = TenantID.problem(entry.id) { throw ConfigError.invalid(key: key + ".id", reason: problem) }
            guard seen.insert(entry.id).inserted else { throw ConfigError.invalid(key: key + ".id", reason: "tenant \(entry.id) is listed twice") }
            guard entry.bearerTokenFile != nil || entry.basicAuth != nil else {
                throw ConfigError.invalid(key: key, reason: "give bearer_token_file or basic_auth")
            }
            if let file = entry.bearerTokenFile {
                let token = try secret(file, key: key + ".bearer_token_file")
                credentials.append(Credential(tenant: entry.id, authorization: Array("Bearer \(token)".utf8)))
            }
            if let basic = entry.basicAuth {
                let password = try secret(basic.passwordFile, key: key + ".basic_auth.password_file")
                let encoded = Data("\(basic.username):\(password)".utf8).base64EncodedString()
                credentials.append(Credential(tenant: entry.id, authorization: Array("Basic \(encoded)".utf8)))
            }
        }
        // Two tenants with one secret would make the mapping ambiguous.
        for (i, a) in credentials.enumerated() {
            for b in credentials[(i + 1)...] where a.authorization == b.authorization {
                throw ConfigError.invalid(key: "server.tenants", reason: "tenants \(a.tenant) and \(b.tenant) share a credential")
            }
        }
        return TenantAuthenticator(credentials: credentials)
    }

    private static func secret(_ file: String, key: String) throws(ConfigError) -> String {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ConfigError.unreadable(path: file, reason: "cannot read \(key)")
        }
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard value.utf8.count >= 16 else {
            throw ConfigError.invalid(key: key, reason: "the secret in \(file) is shorter than 16 characters")
        }
        return value
    }
}
