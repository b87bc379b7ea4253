import KansokuCore
import Crypto

/// AWS Signature Version 4 in the `Authorization` header, as S3 checks it
/// (docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html).
///
/// S3 differs from the other services in two ways that matter here: the path is signed as
/// sent (encoded once, never normalised), and the payload hash travels in
/// `x-amz-content-sha256` and is signed with the other headers.
public struct SigV4Signer: Sendable {
    public let credentials: AWSCredentials
    public let region: String
    public let service: String

    public init(credentials: AWSCredentials, region: String, service: String = "s3") {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// The SHA-256 of an empty payload, which every GET, HEAD and DELETE signs.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Hop-by-hop and client headers that proxies may change, so they are never signed.
    static let unsignedHeaders: Set<String> = [
        "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    /// The request's headers plus `x-amz-date`, `x-amz-content-sha256`, `x-amz-security-token`
    /// (with temporary credentials) and `Authorization`, ready to send.
    ///
    /// - Parameters:
    ///   - host: the `Host` header: lowercase host, with the port unless it is the scheme's default.
    ///   - encodedPath: the path exactly as it goes on the wire (`S3Path.encode`), starting with `/`.
    ///   - query: raw (not yet encoded) query parameters; a valueless flag has an empty value.
    ///   - payloadHash: lowercase hex SHA-256 of the body.
    ///   - unixSeconds: the signing time.
    public func sign(method: String, host: String, encodedPath: String, query: [(String, String)],
                     headers: [(String, String)], payloadHash: String, unixSeconds: Int64) -> [(String, String)] {
        let amzDate = Self.amzDate(unixSeconds)
        let day = String(amzDate.prefix(8))
        var all = headers
        all.append(("x-amz-date", amzDate))
        all.append(("x-amz-content-sha256", payloadHash))
        if let token = credentials.sessionToken { all.append(("x-amz-security-token", token)) }

        var canonical: [String: [String]] = ["host": [host]]
        for (name, value) in all {
            let lower = name.lowercased()
            if Self.unsignedHeaders.contains(lower) { continue }
            canonical[lower, default: []].append(Self.trimAll(value))
        }
        let names = canonical.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let signedHeaders = names.joined(separator: ";")
        var request = method.uppercased() + "\n" + encodedPath + "\n" + Self.canonicalQuery(query) + "\n"
        for name in names { request += name + ":" + canonical[name]!.joined(separator: ",") + "\n" }
        request += "\n" + signedHeaders + "\n" + payloadHash

        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(Self.hex(SHA256.hash(data: Array(request.utf8))))"
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey(day: day)))
        all.append(("Authorization",
                    "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"))
        return all
    }

    /// The key derived for one day, region and service.
    func signingKey(day: String) -> SymmetricKey {
        func hmac(_ key: SymmetricKey, _ text: String) -> SymmetricKey {
            SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key))
        }
        let secret = SymmetricKey(data: Array(("AWS4" + credentials.secretAccessKey).utf8))
        return hmac(hmac(hmac(hmac(secret, day), region), service), "aws4_request")
    }

    /// Parameters encoded (RFC 3986 unreserved bytes kept) and sorted by encoded name, then value.
    static func canonicalQuery(_ query: [(String, String)]) -> String {
        query.map { (S3Path.percentEncode($0.0, keepSlash: false), S3Path.percentEncode($0.1, keepSlash: false)) }
            .sorted { a, b in
                a.0 == b.0 ? a.1.utf8.lexicographicallyPrecedes(b.1.utf8) : a.0.utf8.lexicographicallyPrecedes(b.0.utf8)
            }
            .map { $0.0 + "=" + $0.1 }
            .joined(separator: "&")
    }

    /// Leading and trailing whitespace removed and inner runs folded to one space.
    static func trimAll(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" })
            .joined(separator: " ")
    }

    /// `YYYYMMDDTHHMMSSZ` in UTC.
    static func amzDate(_ unixSeconds: Int64) -> String {
        // rfc3339Nano gives YYYY-MM-DDTHH:MM:SS.fffffffffZ; SigV4 wants the basic format.
        let text = TimeFormatter.rfc3339Nano(unixSeconds * 1_000_000_000)
        return String(text.prefix(19).filter { $0 != "-" && $0 != ":" }) + "Z"
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Lowercase hex SHA-256 of a body.
    public static func payloadHash(_ body: [UInt8]) -> String {
        body.isEmpty ? emptyPayloadHash : hex(SHA256.hash(data: body))
    }
}

/// Percent-encoding as S3 and SigV4 define it: every byte but `A-Z a-z 0-9 - _ . ~` (and `/`
/// in a key's path) becomes `%XX` of its UTF-8.
public enum S3Path {
    public static func percentEncode(_ text: String, keepSlash: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
