#if canImport(NIOHTTP1)
import Foundation
import KansokuCore
import KansokuIngest
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing
import KansokuTestSupport

/// The sender's answers to a receiver's status codes, through the real binary: 503 with
/// `Retry-After`, 429 and 500 are retried with the same batch (after the time the receiver
/// asked for), a 400 drops that batch and counts it, and the queue goes on with the next one.
@Suite(.serialized) struct RemoteWriteRetryTests {
    @Test(.requires(TestPaths.kansoku))
    func retriesRecoverableAnswersAndDropsRefusedBatches() async throws {
        let bin = try #require(TestPaths.binary)
        let receiver = try await ScriptedReceiver(answers: [
            (503, "1"), (429, nil), (500, nil), (400, nil),
        ])
        defer { Task { try? await receiver.stop() } }
        let dir = TestPaths.makeTempDir("rw-retry")
        let token = dir.appendingPathComponent("token")
        try "s3cret\n".write(to: token, atomically: true, encoding: .utf8)
        let port = freeLoopbackPort()
        let config = dir.appendingPathComponent("kansoku.yaml")
        try """
        rules: { files: [] }
        metrics:
          scrape_interval: 1s
          targets: [ { job: kansoku, targets: ["127.0.0.1:\(port)"] } ]
          remote_write:
            - url: http://127.0.0.1:\(receiver.port)/api/v1/write
              name: scripted
              headers: { X-Scope-OrgID: team-a }
              bearer_token_file: \(token.path)
              queue_config: { batch_send_deadline: 1s, max_samples_per_send: 100000, min_backoff: 50ms, max_backoff: 200ms }

        """.write(to: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"), config: config, port: port)
        defer { server.stop() }

        let requests = try await receiver.waitFor(count: 7, timeout: .seconds(30))
        #expect(requests.count >= 7, "\(requests.count) requests; log:\n\(server.log.suffix(2000))")
        guard requests.count >= 7 else { return }
        for r in requests {
            #expect(r.headers["content-encoding"] == "snappy" && r.headers["content-type"] == "application/x-protobuf")
            #expect(r.headers["x-prometheus-remote-write-version"] == "0.1.0")
            #expect(r.headers["authorization"] == "Bearer s3cret" && r.headers["x-scope-orgid"] == "team-a")
        }
        // The first batch four times (503, 429, 500, then refused with 400), then new ones.
        #expect(requests[1].body == requests[0].body && requests[2].body == requests[0].body && requests[3].body == requests[0].body)
        #expect(requests[4].body != requests[0].body)
        #expect(requests[1].arrival - requests[0].arrival >= .milliseconds(900), "Retry-After: 1 was not honoured")

        let decoded = try requests.map { r in
            try r.body.withUnsafeBytes { try RemoteWriteCodec.decode(snappyBody: $0, maxDecompressedSize: 64 << 20) }
        }
        let dropped = decoded[0].reduce(0) { $0 + $1.samples.count }
        // Each sample goes out once after the dropped batch: per series, times only increase.
        var newest: [[Label]: Int64] = [:]
        for batch in decoded[3...] {
            for s in batch {
                for x in s.samples {
                    #expect(x.t > newest[s.labels, default: .min], "\(s.labels) repeats or goes back at \(x.t)")
                    newest[s.labels] = x.t
                }
            }
        }
        try await Task.sleep(for: .seconds(1))
        let metrics = try server.client.get("/metrics").text
        #expect(RemoteWritePeers.metric(metrics, "prometheus_remote_storage_samples_failed_total", queue: "scripted") == Double(dropped))
        #expect(RemoteWritePeers.metric(metrics, "prometheus_remote_storage_samples_retried_total", queue: "scripted") == Double(3 * dropped))
    }

    /// `samples_pending` is what was read from the WAL and not yet acknowledged: while the
    /// receiver refuses a round (one batch), exactly that batch's samples; 0 once it lands.
    @Test(.requires(TestPaths.kansoku))
    func pendingCountsSamplesReadAndNotAcknowledged() async throws {
        let bin = try #require(TestPaths.binary)
        let receiver = try await ScriptedReceiver(answers: Array(repeating: (503, nil), count: 12))
        defer { Task { try? await receiver.stop() } }
        let dir = TestPaths.makeTempDir("rw-pending")
        let port = freeLoopbackPort()
        let config = dir.appendingPathComponent("kansoku.yaml")
        try """
        rules: { files: [] }
        metrics:
          scrape_interval: 1s
          targets: [ { job: kansoku, targets: ["127.0.0.1:\(port)"] } ]
          remote_write:
            - url: http://127.0.0.1:\(receiver.port)/api/v1/write
              name: pending
              queue_config: { batch_send_deadline: 1s, max_samples_per_send: 100000, min_backoff: 400ms, max_backoff: 400ms }

        """.write(to: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"), config: config, port: port)
        defer { server.stop() }

        let refused = try await receiver.waitFor(count: 3, timeout: .seconds(30))
        try #require(refused.count >= 3, "log:\n\(server.log.suffix(2000))")
        let round = try refused[0].body.withUnsafeBytes { try RemoteWriteCodec.decode(snappyBody: $0, maxDecompressedSize: 64 << 20) }
        let samples = round.reduce(0) { $0 + $1.samples.count }
        let during = RemoteWritePeers.metric(try server.client.get("/metrics").text, "prometheus_remote_storage_samples_pending", queue: "pending")
        #expect(samples > 0 && during == Double(samples), "pending \(String(describing: during)) while \(samples) samples were refused")

        _ = try await receiver.waitFor(count: 14, timeout: .seconds(30))
        var after: Double?
        for _ in 0..<40 {
            try await Task.sleep(for: .milliseconds(250))
            after = RemoteWritePeers.metric(try server.client.get("/metrics").text, "prometheus_remote_storage_samples_pending", queue: "pending")
            if after == 0 { break }
        }
        #expect(after == 0)
    }
}

/// A remote-write receiver on loopback that answers requests from a script (status and
/// `Retry-After`), then 204, recording each request's headers, body and arrival time.
final class ScriptedReceiver: Sendable {
    struct Request: Sendable {
        var headers: [String: String]
        var body: [UInt8]
        var arrival: ContinuousClock.Instant
    }

    private let state: Mutex<(requests: [Request], script: [(Int, String?)])>
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let channel: Mutex<(any Channel)?> = Mutex(nil)
    let port: Int

    init(answers: [(Int, String?)]) async throws {
        state = Mutex(([], answers))
        port = freeLoopbackPort()
        let ch = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(owner: self))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        channel.withLock { $0 = ch }
    }

    func stop() async throws {
        try await channel.withLock { $0 }?.close()
        try await group.shutdownGracefully()
    }

    func waitFor(count: Int, timeout: Duration) async throws -> [Request] {
        let deadline = ContinuousClock.now + timeout
        while state.withLock({ $0.requests.count }) < count && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        return state.withLock { $0.requests }
    }

    /// Records a request and returns the answer for it.
    fileprivate func answer(_ r: Request) -> (Int, String?) {
        state.withLock { s in
            s.requests.append(r)
            return s.script.isEmpty ? (204, nil) : s.script.removeFirst()
        }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let owner: ScriptedReceiver
        var headers: [String: String] = [:]
        var body: [UInt8] = []
        init(owner: ScriptedReceiver) { self.owner = owner }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case let .head(h):
                headers = Dictionary(h.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
                body = []
            case var .body(b): body += b.readBytes(length: b.readableBytes) ?? []
            case .end:
                let (status, retryAfter) = owner.answer(Request(headers: headers, body: body, arrival: .now))
                var h = HTTPHeaders()
                let text: [UInt8] = status == 204 ? [] : Array("answer \(status)".utf8)
                h.add(name: "Content-Length", value: String(text.count))
                if let retryAfter { h.add(name: "Retry-After", value: retryAfter) }
                let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: h)
                context.write(wrapOutboundOut(.head(head)), promise: nil)
                if !text.isEmpty { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: text)))), promise: nil) }
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
#endif
