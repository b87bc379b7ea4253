import AsyncHTTPClient
import Foundation
import KansokuCore
import KansokuIngest
import NIOCore

/// What one POST of a remote-write batch came to.
enum SendOutcome: Sendable, Equatable {
    case delivered
    /// 5xx, 429 (when retried), timeouts and connection errors: send again after a backoff,
    /// or after `retryAfter` when the receiver said how long to wait.
    case retryable(reason: String, retryAfter: Duration?)
    /// Any other 4xx: the receiver will never take this batch, so it is dropped and counted.
    case permanent(reason: String)
}

/// Posts remote write 1.0 requests to one receiver, with the headers Prometheus sends and the
/// configured credentials (files are read at each send, so rotated tokens are picked up).
struct RemoteWriteClient: Sendable {
    let client: HTTPClient
    let config: RemoteWriteConfig

    func post(_ body: [UInt8]) async -> SendOutcome {
        var request = HTTPClientRequest(url: config.url)
        request.method = .POST
        for (k, v) in config.headers { request.headers.add(name: k, value: v) }
        request.headers.replaceOrAdd(name: "Content-Encoding", value: "snappy")
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/x-protobuf")
        request.headers.replaceOrAdd(name: "User-Agent", value: "Kansoku/\(KansokuVersion.string)")
        request.headers.replaceOrAdd(name: "X-Prometheus-Remote-Write-Version", value: RemoteWriteCodec.versionHeader)
        do {
            if let auth = try authorization() { request.headers.replaceOrAdd(name: "Authorization", value: auth) }
        } catch {
            return .retryable(reason: "\(error)", retryAfter: nil)
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: .milliseconds(config.timeout.milliseconds))
            // Read (a bounded part of) the answer so the connection can be reused.
            let answer = try await response.body.collect(upTo: 1 << 20)
            let code = Int(response.status.code)
            if (200..<300).contains(code) { return .delivered }
            let text = String(decoding: answer.readableBytesView.prefix(512), as: UTF8.self)
            let reason = "HTTP \(code): \(text.trimmingCharacters(in: .whitespacesAndNewlines))"
            if code >= 500 || (code == 429 && config.queue.retryOnHTTP429) {
                return .retryable(reason: reason, retryAfter: Self.retryAfter(response.headers.first(name: "Retry-After")))
            }
            return .permanent(reason: reason)
        } catch {
            return .retryable(reason: "\(error)", retryAfter: nil)
        }
    }

    /// `Retry-After` as seconds or an HTTP date; nil when absent or unreadable.
    static func retryAfter(_ value: String?) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value), seconds >= 0 { return .seconds(min(seconds, 3600)) }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = f.date(from: value) else { return nil }
        let wait = max(0, min(date.timeIntervalSinceNow, 3600))
        return .milliseconds(Int64(wait * 1000))
    }

    enum CredentialError: Error, CustomStringConvertible {
        case unreadable(String)
        var description: String {
            switch self { case .unreadable(let p): "cannot read credentials file \(p)" }
        }
    }

    private func authorization() throws -> String? {
        func read(_ path: String) throws -> String {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CredentialError.unreadable(path) }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let token = config.bearerToken { return "Bearer " + token }
        if let file = config.bearerTokenFile { return "Bearer " + (try read(file)) }
        if let b = config.basicAuth {
            let password = try b.passwordFile.map(read) ?? b.password ?? ""
            return "Basic " + Data((b.username + ":" + password).utf8).base64EncodedString()
        }
        return nil
    }
}
