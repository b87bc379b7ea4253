/// Where a bucket is and how to talk to it: any S3-compatible service (AWS S3, MinIO, Ceph
/// RGW, Cloudflare R2, GCS's S3 interface).
public struct S3Settings: Sendable, Equatable {
    /// How the bucket is named in a request: in the path (`endpoint/bucket/key`, what MinIO and
    /// most self-hosted services expect) or in the host name (`bucket.endpoint/key`, AWS's default).
    public enum Addressing: String, Sendable, Equatable {
        case path
        case virtualHosted = "virtual-hosted"
    }

    public var bucket: String
    public var region: String
    /// `scheme://host[:port]`; nil means AWS's own `https://s3.<region>.amazonaws.com`.
    public var endpoint: String?
    public var addressing: Addressing
    public var credentials: AWSCredentials
    /// Objects larger than this go up in parts of this size (S3's minimum part is 5 MiB).
    public var partSize: Int
    /// Attempts per request, the first included, on 5xx answers and connection errors.
    public var maxAttempts: Int
    /// The first retry waits up to this long; each later one up to twice the previous.
    public var baseBackoffMilliseconds: Int64
    public var maxBackoffMilliseconds: Int64
    /// One request, from connecting to the last byte of the answer.
    public var requestTimeoutMilliseconds: Int64

    public static let minimumPartSize = 5 * 1024 * 1024

    public init(bucket: String, region: String = "us-east-1", endpoint: String? = nil,
                addressing: Addressing = .virtualHosted, credentials: AWSCredentials,
                partSize: Int = 16 * 1024 * 1024, maxAttempts: Int = 5,
                baseBackoffMilliseconds: Int64 = 100, maxBackoffMilliseconds: Int64 = 5_000,
                requestTimeoutMilliseconds: Int64 = 60_000) {
        self.bucket = bucket
        self.region = region
        self.endpoint = endpoint
        self.addressing = addressing
        self.credentials = credentials
        self.partSize = partSize
        self.maxAttempts = maxAttempts
        self.baseBackoffMilliseconds = baseBackoffMilliseconds
        self.maxBackoffMilliseconds = maxBackoffMilliseconds
        self.requestTimeoutMilliseconds = requestTimeoutMilliseconds
    }

    /// Why these settings cannot be used, or nil.
    public func problem() -> String? {
        if bucket.isEmpty { return "bucket is empty" }
        if addressing == .virtualHosted && (bucket.contains(".") || bucket.lowercased() != bucket) {
            return "bucket \(bucket) cannot be a host name label; use path addressing"
        }
        if region.isEmpty { return "region is empty" }
        if (try? S3Endpoint.parse(endpoint ?? "https://s3.\(region).amazonaws.com")) == nil {
            return "endpoint \(endpoint ?? "") is not scheme://host[:port]"
        }
        if partSize < Self.minimumPartSize || partSize > 5 * 1024 * 1024 * 1024 {
            return "part size \(partSize) is outside 5 MiB...5 GiB"
        }
        if maxAttempts < 1 || maxAttempts > 20 { return "max attempts \(maxAttempts) is outside 1...20" }
        if requestTimeoutMilliseconds < 1 { return "request timeout must be positive" }
        return nil
    }
}

/// An endpoint split into what requests and signatures need.
struct S3Endpoint: Equatable {
    let scheme: String
    let host: String
    let port: Int?

    static func parse(_ text: String) throws(ObjectStoreError) -> S3Endpoint {
        guard let sep = text.range(of: "://") else { throw .invalidSettings("endpoint \(text) is not scheme://host[:port]") }
        let scheme = text[..<sep.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { throw .invalidSettings("endpoint \(text) is not scheme://host[:port]") }
        var rest = text[sep.upperBound...]
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("@") else { throw .invalidSettings("endpoint \(text) is not scheme://host[:port]") }
        var host = String(rest).lowercased()
        var port: Int?
        if let colon = host.lastIndex(of: ":"), !host.hasSuffix("]") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else { throw .invalidSettings("endpoint \(text) is not scheme://host[:port]") }
            port = p
            host = String(host[..<colon])
        }
        guard !host.isEmpty else { throw .invalidSettings("endpoint \(text) is not scheme://host[:port]") }
        return S3Endpoint(scheme: scheme, host: host, port: port)
    }

    /// The `Host` header for `host`: the port is named unless it is the scheme's default.
    func hostHeader(_ host: String) -> String {
        guard let port, port != (scheme == "https" ? 443 : 80) else { return host }
        return "\(host):\(port)"
    }
}
