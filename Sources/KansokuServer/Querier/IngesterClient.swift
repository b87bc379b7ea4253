import AsyncHTTPClient
import KansokuCore
import KansokuLogStore
import NIOCore
import NIOHTTP1

/// Asks the ingesters of `cluster.ingesters` for what they hold that the bucket does not.
struct IngesterClient: Sendable {
    /// Base URLs (`http://host:port`).
    let ingesters: [String]
    let timeout: Duration
    /// Sent as `Authorization: Bearer …` when the ingesters require a token.
    let bearerToken: String?
    /// The largest answer taken from one ingester.
    static let maxAnswerBytes = 1 << 30

    struct Answer: Sendable {
        var streams: [(labels: Labels, entries: [LogEntry])] = []
        /// One line per ingester that did not answer, saying why.
        var failures: [String] = []
    }

    func unshipped(_ request: UnshippedRequest, tenant: String) async -> Answer {
        let body = request.json()
        return await withTaskGroup(of: Result<[(labels: Labels, entries: [LogEntry])], IngesterFailure>.self) { group in
            for base in ingesters {
                group.addTask { await ask(base, body: body, tenant: tenant) }
            }
            var answer = Answer()
            for await result in group {
                switch result {
                case .success(let streams): answer.streams += streams
                case .failure(let f): answer.failures.append(f.description)
                }
            }
            return answer
        }
    }

    private func ask(_ base: String, body: [UInt8], tenant: String) async -> Result<[(labels: Labels, entries: [LogEntry])], IngesterFailure> {
        var request = HTTPClientRequest(url: base + UnshippedAPI.path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "X-Scope-OrgID", value: tenant)
        if let bearerToken { request.headers.add(name: "Authorization", value: "Bearer \(bearerToken)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .nanoseconds(timeout.nanosecondsClamped))
            let buffer = try await response.body.collect(upTo: Self.maxAnswerBytes)
            let bytes = Array(buffer.readableBytesView)
            guard response.status == .ok else {
                return .failure(IngesterFailure(ingester: base, reason: "answered \(response.status.code): \(String(decoding: bytes.prefix(300), as: UTF8.self))"))
            }
            return .success(try UnshippedWire.decode(bytes))
        } catch {
            return .failure(IngesterFailure(ingester: base, reason: "\(error)"))
        }
    }
}

struct IngesterFailure: Error, CustomStringConvertible {
    let ingester: String
    let reason: String
    var description: String { "ingester \(ingester) unreachable, its data not yet in the bucket is missing: \(reason)" }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    var nanosecondsClamped: Int64 {
        let (s, a) = components
        let (n, overflow) = s.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : n &+ a / 1_000_000_000
    }
}
