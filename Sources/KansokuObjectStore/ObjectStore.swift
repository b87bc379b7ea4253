/// One object in a bucket or directory: its key and size in bytes.
public struct ObjectInfo: Sendable, Hashable {
    public let key: String
    public let size: Int

    public init(key: String, size: Int) {
        self.key = key
        self.size = size
    }
}

/// A flat namespace of immutable objects addressed by `/`-separated keys: what log chunks and
/// indexes are stored in once they leave a node's disk. Keys are relative
/// (`tenant/period/ingester/file`); an implementation maps them onto a directory or a bucket.
///
/// Objects are written whole and never modified in place, so readers need no locking: a key
/// either holds its complete content or does not exist.
public protocol ObjectStore: Sendable {
    /// Stores `bytes` under `key`, replacing any object already there.
    func put(_ key: String, _ bytes: [UInt8]) async throws(ObjectStoreError)

    /// The whole object.
    func get(_ key: String) async throws(ObjectStoreError) -> [UInt8]

    /// The bytes `range` of the object (`range` must lie within it).
    func get(_ key: String, range: Range<Int>) async throws(ObjectStoreError) -> [UInt8]

    /// Every object whose key starts with `prefix`, in ascending key order.
    func list(prefix: String) async throws(ObjectStoreError) -> [ObjectInfo]

    /// Removes the object; removing a missing key is not an error (as in S3).
    func delete(_ key: String) async throws(ObjectStoreError)
}

/// Why an object store operation failed.
public enum ObjectStoreError: Error, Equatable, CustomStringConvertible {
    /// No object under this key.
    case notFound(key: String)
    /// The key is empty, absolute, or has `.`/`..` segments or bytes a store cannot hold.
    case invalidKey(String)
    /// The requested byte range lies outside the object.
    case invalidRange(key: String, range: Range<Int>, size: Int?)
    /// The store refused the credentials or the signature (HTTP 401/403).
    case accessDenied(key: String, message: String)
    /// The store answered with an error status that retrying did not fix.
    case httpStatus(Int, code: String, message: String, key: String)
    /// The store could not be reached, or timed out, on every attempt.
    case unreachable(String)
    /// The store's settings cannot work (an empty bucket, an endpoint that is not a URL).
    case invalidSettings(String)
    /// A local filesystem call failed.
    case io(String)
    /// The store answered something that is not what the protocol says.
    case malformedResponse(String)

    public var description: String {
        switch self {
        case .notFound(let key): "object not found: \(key)"
        case .invalidKey(let key): "invalid object key: \(key.debugDescription)"
        case .invalidRange(let key, let range, let size):
            "byte range \(range.lowerBound)..<\(range.upperBound) is outside \(key)" + (size.map { " (\($0) bytes)" } ?? "")
        case .accessDenied(let key, let message): "access denied to \(key): \(message)"
        case .httpStatus(let status, let code, let message, let key):
            "object store answered \(status) \(code) for \(key): \(message)"
        case .unreachable(let reason): "object store unreachable: \(reason)"
        case .invalidSettings(let reason): "object store settings: \(reason)"
        case .io(let reason): "object store I/O error: \(reason)"
        case .malformedResponse(let reason): "malformed object store response: \(reason)"
        }
    }
}

/// Key rules shared by every implementation, so a key valid on disk is valid in a bucket.
enum ObjectKey {
    /// The longest key S3 accepts, in UTF-8 bytes.
    static let maxBytes = 1024

    static func validate(_ key: String) throws(ObjectStoreError) {
        if key.isEmpty || key.utf8.count > maxBytes || key.hasPrefix("/") || key.hasSuffix("/") {
            throw .invalidKey(key)
        }
        for segment in key.split(separator: "/", omittingEmptySubsequences: false) {
            if segment.isEmpty || segment == "." || segment == ".." { throw .invalidKey(key) }
        }
        if key.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) { throw .invalidKey(key) }
    }
}
