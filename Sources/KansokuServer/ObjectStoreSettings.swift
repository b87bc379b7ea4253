import Foundation
import KansokuCore
import KansokuObjectStore

/// `storage.object_store`: the bucket (or shared directory) that ingesters ship log chunks
/// and indexes to.
public struct ObjectStoreSettings: Codable, Sendable {
    /// `s3` (any S3-compatible service) or `filesystem` (a directory, e.g. a shared mount).
    public var backend: String = "s3"
    public var bucket: String?
    public var region: String = "us-east-1"
    /// `scheme://host[:port]`; AWS's regional endpoint when absent.
    public var endpoint: String?
    /// `path` or `virtual-hosted` (AWS's default).
    public var addressing: String = "virtual-hosted"
    /// Credentials; the `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`
    /// variables are used when these are absent.
    public var accessKeyID: String?
    public var secretAccessKey: String?
    public var sessionToken: String?
    /// The `filesystem` backend's directory.
    public var directory: String?
    /// Attempts per request on 5xx, SlowDown and connection errors.
    public var maxAttempts: Int = 5
    /// One request's timeout (Prometheus duration).
    public var timeout: String = "60s"

    public init() {}

    enum CodingKeys: String, CodingKey {
        case backend, bucket, region, endpoint, addressing, directory, timeout
        case accessKeyID = "access_key_id"
        case secretAccessKey = "secret_access_key"
        case sessionToken = "session_token"
        case maxAttempts = "max_attempts"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        backend = try c.decodeIfPresent(String.self, forKey: .backend) ?? backend
        bucket = try c.decodeIfPresent(String.self, forKey: .bucket)
        region = try c.decodeIfPresent(String.self, forKey: .region) ?? region
        endpoint = try c.decodeIfPresent(String.self, forKey: .endpoint)
        addressing = try c.decodeIfPresent(String.self, forKey: .addressing) ?? addressing
        accessKeyID = try c.decodeIfPresent(String.self, forKey: .accessKeyID)
        secretAccessKey = try c.decodeIfPresent(String.self, forKey: .secretAccessKey)
        sessionToken = try c.decodeIfPresent(String.self, forKey: .sessionToken)
        directory = try c.decodeIfPresent(String.self, forKey: .directory)
        maxAttempts = try c.decodeIfPresent(Int.self, forKey: .maxAttempts) ?? maxAttempts
        timeout = try c.decodeIfPresent(String.self, forKey: .timeout) ?? timeout
    }

    /// The configured store; errors name the key at fault.
    func makeStore(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> any ObjectStore {
        switch backend {
        case "filesystem":
            guard let directory, !directory.isEmpty else {
                throw ConfigError.invalid(key: "storage.object_store.directory", reason: "the filesystem backend needs a directory")
            }
            do { return try FileSystemObjectStore(root: directory) } catch {
                throw ConfigError.invalid(key: "storage.object_store.directory", reason: "\(error)")
            }
        case "s3":
            guard let bucket, !bucket.isEmpty else {
                throw ConfigError.invalid(key: "storage.object_store.bucket", reason: "the s3 backend needs a bucket")
            }
            guard let style = S3Settings.Addressing(rawValue: addressing) else {
                throw ConfigError.invalid(key: "storage.object_store.addressing", reason: "expected path or virtual-hosted, got \"\(addressing)\"")
            }
            let credentials: AWSCredentials
            if let accessKeyID, let secretAccessKey {
                credentials = AWSCredentials(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken)
            } else if let fromEnvironment = AWSCredentials.fromEnvironment(environment) {
                credentials = fromEnvironment
            } else {
                throw ConfigError.invalid(key: "storage.object_store.access_key_id",
                                          reason: "no credentials: set access_key_id and secret_access_key, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
            }
            guard let requestTimeout = PromDuration(timeout), requestTimeout.milliseconds > 0 else {
                throw ConfigError.invalid(key: "storage.object_store.timeout", reason: "expected a duration such as 60s, got \"\(timeout)\"")
            }
            let settings = S3Settings(bucket: bucket, region: region, endpoint: endpoint, addressing: style,
                                      credentials: credentials, maxAttempts: maxAttempts,
                                      requestTimeoutMilliseconds: requestTimeout.milliseconds)
            do { return try S3ObjectStore(settings: settings) } catch {
                throw ConfigError.invalid(key: "storage.object_store", reason: "\(error)")
            }
        default:
            throw ConfigError.invalid(key: "storage.object_store.backend", reason: "expected s3 or filesystem, got \"\(backend)\"")
        }
    }
}
