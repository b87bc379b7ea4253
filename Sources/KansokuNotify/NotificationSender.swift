import AsyncHTTPClient
import KansokuCore

/// Why a delivery attempt did not succeed; messages never contain URLs or tokens.
public enum NotifySendError: Error, Sendable, Hashable, CustomStringConvertible {
    case secretFileUnreadable(path: String)
    case invalidURL(receiver: String)
    case unknownReceiver(String)

    public var description: String {
        switch self {
        case let .secretFileUnreadable(path): return "cannot read secret file \(path)"
        case let .invalidURL(receiver): return "receiver \(receiver): the configured URL is not a valid http(s) URL"
        case let .unknownReceiver(name): return "receiver \(name) is no longer configured"
        }
    }
}

/// The outcome of one HTTP attempt.
enum DeliveryOutcome: Sendable, Equatable {
    case delivered
    /// 5xx, 429, timeouts, refused connections, unreadable secret files: try again later.
    case retryable(reason: String, retryAfter: Duration?)
    /// 4xx other than 429 (the request itself is wrong), or nowhere to send it.
    case permanent(reason: String)
}

/// Posts outbox records over HTTP: webhook bodies as they were rendered, alerts to an
/// Alertmanager rendered at send time (so `endsAt` of firing alerts lies in the future
/// even after a long outage).
struct NotificationSender: Sendable {
    let client: HTTPClient
    let receivers: [String: ReceiverConfig]

    func send(_ record: OutboxRecord, now: UnixNanos) async -> DeliveryOutcome {
        guard let receiver = receivers[record.receiver] else {
            return .permanent(reason: NotifySendError.unknownReceiver(record.receiver).description)
        }
        let endpoint: HTTPEndpointConfig
        let body: [UInt8]
        let path: String
        if let webhook = receiver.webhook {
            endpoint = webhook.endpoint
            body = Array(record.body.utf8)
            path = ""
        } else if let am = receiver.alertmanager {
            endpoint = am.endpoint
            body = PostableAlerts.encode(
                record.alerts, now: now, validFor: .milliseconds(4 * am.resendInterval.milliseconds))
            path = "/api/v2/alerts"
        } else {
            return .permanent(reason: NotifySendError.unknownReceiver(record.receiver).description)
        }
        do throws(NotifySendError) {
            let base: Secret
            if let url = endpoint.url { base = url } else { base = try SecretFile.read(endpoint.urlFile ?? "") }
            var url = base.reveal()
            if !path.isEmpty {
                while url.hasSuffix("/") { url.removeLast() }
                url += path
            }
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                return .permanent(reason: NotifySendError.invalidURL(receiver: record.receiver).description)
            }
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "Kansoku")
            request.headers.add(name: "Idempotency-Key", value: record.id)
            for (name, value) in endpoint.headers.sorted(by: { $0.key < $1.key }) {
                request.headers.add(name: name, value: value)
            }
            if let tokenFile = endpoint.bearerTokenFile {
                let token = try SecretFile.read(tokenFile)
                request.headers.replaceOrAdd(name: "Authorization", value: "Bearer " + token.reveal())
            }
            request.body = .bytes(body)
            return await execute(request, timeoutMilliseconds: record.timeoutMilliseconds)
        } catch {
            return .retryable(reason: error.description, retryAfter: nil)
        }
    }

    private func execute(_ request: HTTPClientRequest, timeoutMilliseconds: Int64) async -> DeliveryOutcome {
        do {
            let response = try await client.execute(request, timeout: .milliseconds(max(1, timeoutMilliseconds)))
            _ = try? await response.body.collect(upTo: 1 << 16)
            let code = Int(response.status.code)
            switch code {
            case 200..<300:
                return .delivered
            case 429, 500..<600:
                let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int64($0) }.map { Duration.seconds($0) }
                return .retryable(reason: "HTTP \(code)", retryAfter: retryAfter)
            default:
                return .permanent(reason: "HTTP \(code)")
            }
        } catch {
            // Only the kind of failure: a transport error's text may name the host.
            let kind = error is HTTPClientError ? "\(error)" : String(describing: type(of: error))
            return .retryable(reason: "transport error \(kind)", retryAfter: nil)
        }
    }
}
