public import AsyncHTTPClient
import KansokuCore
public import Logging
import NIOCore
import NIOHTTP1
public import Synchronization

/// Objects in an S3-compatible bucket, over the S3 REST API with SigV4-signed requests.
///
/// Each request is retried with exponential backoff and full jitter on 5xx answers (503
/// SlowDown among them), 429, and connection errors or timeouts, up to `maxAttempts`;
/// other 4xx answers fail at once. Objects above `partSize` go up as a multipart upload,
/// which is aborted if a part cannot be sent, so no orphaned parts are billed.
public struct S3ObjectStore: ObjectStore {
    public let settings: S3Settings
    public let traffic: ObjectStoreTraffic
    let endpoint: S3Endpoint
    let signer: SigV4Signer
    let client: HTTPClient
    let logger: Logger

    /// The largest answer read into memory: bounds what a misbehaving endpoint can make us hold.
    static let maxResponseBytes = 4 * 1024 * 1024 * 1024

    public init(settings: S3Settings, client: HTTPClient = .shared,
                logger: Logger = Logger(label: "kansoku.objectstore")) throws(ObjectStoreError) {
        if let problem = settings.problem() { throw .invalidSettings(problem) }
        self.init(unchecked: settings, client: client, logger: logger)
    }

    /// Settings already checked (or deliberately not, in tests of addressing and signing).
    init(unchecked settings: S3Settings, client: HTTPClient = .shared, logger: Logger = Logger(label: "kansoku.objectstore")) {
        self.settings = settings
        self.endpoint = (try? S3Endpoint.parse(settings.endpoint ?? "https://s3.\(settings.region).amazonaws.com"))
            ?? S3Endpoint(scheme: "https", host: "s3.amazonaws.com", port: nil)
        self.signer = SigV4Signer(credentials: settings.credentials, region: settings.region)
        self.client = client
        self.logger = logger
        self.traffic = ObjectStoreTraffic()
    }

    public func put(_ key: String, _ bytes: [UInt8]) async throws(ObjectStoreError) {
        try ObjectKey.validate(key)
        if bytes.count > settings.partSize {
            try await putMultipart(key, bytes)
            return
        }
        _ = try await send("PUT", key: key, body: bytes)
    }

    public func get(_ key: String) async throws(ObjectStoreError) -> [UInt8] {
        try ObjectKey.validate(key)
        return try await send("GET", key: key).body
    }

    public func get(_ key: String, range: Range<Int>) async throws(ObjectStoreError) -> [UInt8] {
        try ObjectKey.validate(key)
        guard range.lowerBound >= 0 else { throw .invalidRange(key: key, range: range, size: nil) }
        if range.isEmpty { return [] }
        let answer = try await send("GET", key: key, headers: [("Range", "bytes=\(range.lowerBound)-\(range.upperBound - 1)")])
        if answer.status == 206 {
            guard answer.body.count == range.count else { throw .invalidRange(key: key, range: range, size: nil) }
            return answer.body
        }
        // A server that ignores Range sends the whole object with 200.
        guard range.upperBound <= answer.body.count else {
            throw .invalidRange(key: key, range: range, size: answer.body.count)
        }
        return Array(answer.body[range])
    }

    public func list(prefix: String) async throws(ObjectStoreError) -> [ObjectInfo] {
        var found: [ObjectInfo] = []
        var token: String?
        repeat {
            var query = [("list-type", "2"), ("prefix", prefix)]
            if let token { query.append(("continuation-token", token)) }
            let answer = try await send("GET", key: nil, query: query)
            let xml = Substring(decoding: answer.body, as: UTF8.self)
            for entry in S3XML.elements("Contents", in: xml) {
                guard let key = S3XML.value("Key", in: entry), let size = S3XML.value("Size", in: entry).flatMap(Int.init) else {
                    throw .malformedResponse("list entry without Key or Size")
                }
                found.append(ObjectInfo(key: key, size: size))
            }
            token = S3XML.value("IsTruncated", in: xml) == "true" ? S3XML.value("NextContinuationToken", in: xml) : nil
        } while token != nil
        return found
    }

    public func delete(_ key: String) async throws(ObjectStoreError) {
        try ObjectKey.validate(key)
        do {
            _ = try await send("DELETE", key: key)
        } catch .notFound {
            return
        }
    }

    /// Creates the bucket; an existing bucket that is ours is fine.
    public func createBucket() async throws(ObjectStoreError) {
        var body: [UInt8] = []
        if settings.region != "us-east-1" {
            body = Array(("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                + "<LocationConstraint>\(S3XML.escape(settings.region))</LocationConstraint></CreateBucketConfiguration>").utf8)
        }
        do {
            _ = try await send("PUT", key: nil, body: body)
        } catch .httpStatus(409, let code, _, _) where code == "BucketAlreadyOwnedByYou" {
            return
        }
    }

    // MARK: - Multipart upload

    private func putMultipart(_ key: String, _ bytes: [UInt8]) async throws(ObjectStoreError) {
        let started = try await send("POST", key: key, query: [("uploads", "")])
        guard let uploadID = S3XML.value("UploadId", in: Substring(decoding: started.body, as: UTF8.self)) else {
            throw .malformedResponse("CreateMultipartUpload answer without UploadId")
        }
        do throws(ObjectStoreError) {
            var etags: [String] = []
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + settings.partSize, bytes.count)
                let part = try await send("PUT", key: key,
                                          query: [("partNumber", "\(etags.count + 1)"), ("uploadId", uploadID)],
                                          body: Array(bytes[offset..<end]))
                guard let etag = part.etag else { throw .malformedResponse("UploadPart answer without ETag") }
                etags.append(etag)
                offset = end
            }
            let done = try await send("POST", key: key, query: [("uploadId", uploadID)],
                                      headers: [("Content-Type", "application/xml")],
                                      body: Array(S3XML.completeMultipartUpload(etags).utf8))
            // CompleteMultipartUpload can fail after a 200 status line; the error is in the body.
            let xml = Substring(decoding: done.body, as: UTF8.self)
            if xml.contains("<Error>") {
                throw .httpStatus(200, code: S3XML.value("Code", in: xml) ?? "", message: S3XML.value("Message", in: xml) ?? "", key: key)
            }
        } catch {
            do {
                _ = try await send("DELETE", key: key, query: [("uploadId", uploadID)])
            } catch let abortError {
                logger.warning("could not abort multipart upload", metadata: ["key": "\(key)", "error": "\(abortError)"])
            }
            throw error
        }
    }

    // MARK: - Requests

    struct Answer {
        let status: Int
        let etag: String?
        let body: [UInt8]
    }

    struct Timeout: Error, CustomStringConvertible {
        let milliseconds: Int64
        var description: String { "no complete answer within \(milliseconds) ms" }
    }

    /// One request, its answer's head and whole body within the timeout. AsyncHTTPClient's own
    /// deadline ends at the response head, so a body that stalls is timed out here.
    static func execute(_ request: HTTPClientRequest, client: HTTPClient,
                        timeoutMilliseconds: Int64) async throws -> (Int, String?, [UInt8]) {
        try await withThrowingTaskGroup(of: (Int, String?, [UInt8]).self) { group in
            group.addTask {
                let response = try await client.execute(request, timeout: .milliseconds(timeoutMilliseconds))
                var buffer = try await response.body.collect(upTo: maxResponseBytes)
                return (Int(response.status.code), response.headers.first(name: "ETag"), buffer.readBytes(length: buffer.readableBytes) ?? [])
            }
            group.addTask {
                try await Task.sleep(for: .milliseconds(timeoutMilliseconds))
                throw Timeout(milliseconds: timeoutMilliseconds)
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// The URL and `Host` header of a request for `key` (nil: the bucket itself).
    func address(key: String?, query: [(String, String)]) -> (url: String, host: String, path: String) {
        let encodedKey = key.map { S3Path.percentEncode($0, keepSlash: true) }
        let host: String
        let path: String
        switch settings.addressing {
        case .path:
            host = endpoint.hostHeader(endpoint.host)
            path = "/" + S3Path.percentEncode(settings.bucket, keepSlash: false) + (encodedKey.map { "/" + $0 } ?? "")
        case .virtualHosted:
            host = endpoint.hostHeader(settings.bucket + "." + endpoint.host)
            path = "/" + (encodedKey ?? "")
        }
        let queryText = query.isEmpty ? "" : "?" + SigV4Signer.canonicalQuery(query)
        return ("\(endpoint.scheme)://\(host)\(path)\(queryText)", host, path)
    }

    func send(_ method: String, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [],
              body: [UInt8] = []) async throws(ObjectStoreError) -> Answer {
        let (url, host, path) = address(key: key, query: query)
        let payloadHash = SigV4Signer.payloadHash(body)
        let name = key ?? settings.bucket
        var lastError = ObjectStoreError.unreachable("no attempt made")
        for attempt in 1...settings.maxAttempts {
            if attempt > 1 {
                traffic.retries.add(1, ordering: .relaxed)
                // Full jitter: a random wait up to the exponential cap, so clients that failed
                // together do not retry together.
                let cap = min(settings.maxBackoffMilliseconds, settings.baseBackoffMilliseconds << Int64(min(attempt - 2, 20)))
                try? await Task.sleep(for: .milliseconds(Int64.random(in: 0...max(cap, 1))))
            }
            var request = HTTPClientRequest(url: url)
            request.method = HTTPMethod(rawValue: method)
            let now = TimeParser.currentNanos() / 1_000_000_000
            for (headerName, value) in signer.sign(method: method, host: host, encodedPath: path, query: query,
                                                   headers: headers, payloadHash: payloadHash, unixSeconds: now) {
                request.headers.add(name: headerName, value: value)
            }
            if !body.isEmpty || method == "PUT" || method == "POST" {
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            traffic.requests.add(1, ordering: .relaxed)
            traffic.bytesSent.add(body.count, ordering: .relaxed)
            let status: Int
            let responseBody: [UInt8]
            let etag: String?
            do {
                (status, etag, responseBody) = try await Self.execute(request, client: client,
                                                                      timeoutMilliseconds: settings.requestTimeoutMilliseconds)
            } catch {
                lastError = .unreachable("\(method) \(name): \(error)")
                logger.debug("object store request failed", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                continue
            }
            traffic.bytesReceived.add(responseBody.count, ordering: .relaxed)
            if (200..<300).contains(status) { return Answer(status: status, etag: etag, body: responseBody) }
            let xml = Substring(decoding: responseBody.prefix(64 * 1024), as: UTF8.self)
            let code = S3XML.value("Code", in: xml) ?? ""
            let message = S3XML.value("Message", in: xml) ?? ""
            switch status {
            case 404 where code != "NoSuchUpload" && code != "NoSuchBucket": throw .notFound(key: name)
            case 401, 403: throw .accessDenied(key: name, message: code.isEmpty ? message : "\(code): \(message)")
            case 416: throw .invalidRange(key: name, range: 0..<0, size: nil)
            case 429, 500...599: lastError = .httpStatus(status, code: code, message: message, key: name)
            default: throw .httpStatus(status, code: code, message: message, key: name)
            }
        }
        throw lastError
    }
}

/// Counts of what an object store client sent and received, for self-metrics and benchmarks.
public final class ObjectStoreTraffic: Sendable {
    public let requests = Atomic<Int>(0)
    public let retries = Atomic<Int>(0)
    public let bytesSent = Atomic<Int>(0)
    public let bytesReceived = Atomic<Int>(0)

    public init() {}
}
