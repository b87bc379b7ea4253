import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A real HTTP server on loopback that records every request and answers with scripted
/// status codes (200 once the script is used up). Stopping it closes the port, so senders
/// see connection refused, as with a receiver that is down.
final class TestReceiver: Sendable {
    struct Request: Sendable {
        var method: String
        var uri: String
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    private struct State {
        var requests: [Request] = []
        var script: [Int] = []
        var channel: (any Channel)?
    }
    private let state = Mutex(State())
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private(set) nonisolated(unsafe) var port = 0

    /// Starts on `port` (0 = any free port).
    init(port: Int = 0) async throws {
        try await bind(port: port)
    }

    private func bind(port: Int) async throws {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(owner: self))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        self.port = channel.localAddress!.port!
        state.withLock { $0.channel = channel }
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Status codes for the next requests, in order.
    func script(_ codes: [Int]) { state.withLock { $0.script = codes } }

    var requests: [Request] { state.withLock { $0.requests } }

    /// Closes the listening socket (the port stays reserved for `resume`).
    func pause() async throws {
        let channel = state.withLock { s -> (any Channel)? in defer { s.channel = nil }; return s.channel }
        try await channel?.close()
    }

    /// Listens again on the same port.
    func resume() async throws { try await bind(port: port) }

    func stop() async throws {
        try? await pause()
        try await group.shutdownGracefully()
    }

    /// Waits until at least `count` requests arrived or `timeout` passed; returns them.
    @discardableResult
    func waitFor(count: Int, timeout: Duration = .seconds(10)) async throws -> [Request] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let r = requests
            if r.count >= count { return r }
            try await Task.sleep(for: .milliseconds(10))
        }
        return requests
    }

    fileprivate func record(_ r: Request) -> Int {
        state.withLock { s in
            s.requests.append(r)
            return s.script.isEmpty ? 200 : s.script.removeFirst()
        }
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let owner: TestReceiver
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(owner: TestReceiver) { self.owner = owner }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case let .head(h):
                head = h
                body = []
            case var .body(buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let head else { return }
                var headers: [String: String] = [:]
                for (name, value) in head.headers { headers[name.lowercased()] = value }
                let code = owner.record(Request(method: "\(head.method)", uri: head.uri, headers: headers, body: body))
                var responseHeaders = HTTPHeaders()
                responseHeaders.add(name: "Content-Length", value: "0")
                let response = HTTPResponseHead(
                    version: head.version, status: HTTPResponseStatus(statusCode: code), headers: responseHeaders)
                context.write(wrapOutboundOut(.head(response)), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
