import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import Synchronization

/// The request context of Kansoku's server: Hummingbird's websocket-capable context, plus the
/// connection a request came on, so a query can stop once its client has gone.
struct KansokuRequestContext: RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        channel = source.channel
    }
}

/// Whether the client of one connection has closed its side. Requests wait on it while their
/// query runs; the wait ends when the client goes or the waiter is cancelled.
final class ClientClosure: Sendable {
    private struct State {
        var closed = false
        var nextID = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }
    private let state = Mutex(State())

    /// The current request's connection, bound by `ClientConnectionMiddleware`.
    @TaskLocal static var current: ClientClosure?

    func markClosed() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            guard !s.closed else { return [] }
            s.closed = true
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume() }
    }

    /// Returns once the client has closed, or at once when the calling task is cancelled.
    func waitUntilClosed() async {
        let id = state.withLock { s in s.nextID += 1; return s.nextID }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.closed || Task.isCancelled { return true }
                    s.waiters[id] = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Runs `body`, cancelling it as soon as the current request's client closes its
    /// connection, as Prometheus and Loki stop a query whose client has gone. Outside a
    /// request (CLI, rules, tests) it just runs `body`.
    static func cancellingOnClose<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        guard let closure = current else { return try await body() }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask { await closure.waitUntilClosed(); return nil }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw APIError.clientClosedRequest
            }
            return value
        }
    }
}

/// Notices, per connection, that the client has closed its side (a half-close or the whole
/// connection) while a request is being answered. The server allows remote half-closure, so
/// without this a client that gives up is only noticed when its answer is written.
final class ClientConnectionWatcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny
    let closure = ClientClosure()

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? ChannelEvent, e == .inputClosed { closure.markClosed() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closure.markClosed()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }
}

/// Binds `ClientClosure.current` for each request to its connection's watcher.
struct ClientConnectionMiddleware: RouterMiddleware {
    typealias Context = KansokuRequestContext

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        let channel = context.channel
        let closure = try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: ClientConnectionWatcher.self).closure
        }.get()
        return try await ClientClosure.$current.withValue(closure) {
            try await next(request, context)
        }
    }
}
