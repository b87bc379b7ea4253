import Hummingbird
import HummingbirdWebSocket
import KansokuCore
import KansokuLogQL
import KansokuLogStore
import Logging

/// `/loki/api/v1/tail`: a websocket that streams matching lines as the store accepts them
/// (`LiveTail`), in Loki's frame shape: `{"streams":[…],"dropped_entries":[…]}`.
struct LokiTail: Sendable {
    let store: LogStore
    let engine: LogQLEngine
    let settings: ServerSettings
    let limits: TenantLimits
    /// With `server.tenants`, the upgraded connection's tenant comes from its credentials.
    let tenants: TenantAuthenticator?
    let logger: Logger

    /// Loki's `tail_max_duration`.
    static let maxDuration: Duration = .seconds(3600)
    /// Loki's upper bound of `delay_for`, in seconds.
    static let maxDelayFor = 5
    /// Entries (and line bytes) buffered for a client that reads slower than lines arrive;
    /// past them new entries are dropped and listed in the next frame's `dropped_entries`.
    static let bufferEntries = 100_000
    static let bufferBytes = 32 << 20

    /// The tail parameters, checked before the upgrade so mistakes get a 400 with a message.
    static func request(_ params: RequestParameters, tenant: String, maxEntries: Int) throws -> LiveTail.Request {
        let query = try params.required("query")
        do { _ = try LiveTail.selector(query) } catch { throw APIError.badRequest("\(error)") }
        let limit = try params.int("limit", default: 100)
        guard maxEntries <= 0 || limit <= maxEntries else {
            throw APIError.badRequest("max entries limit per query exceeded, limit > max_entries_limit (\(limit) > \(maxEntries))")
        }
        let delay = try params.int("delay_for", default: 0)
        guard delay <= maxDelayFor else { throw APIError.badRequest("delay_for can't be greater than \(maxDelayFor)") }
        let start = try params.time("start", default: TimeParser.currentNanos() - 3_600_000_000_000)
        return LiveTail.Request(query: query, tenant: tenant, start: start, limit: limit, delayFor: .seconds(delay),
                                bufferEntries: bufferEntries, bufferBytes: bufferBytes)
    }

    func register(on router: Router<KansokuRequestContext>) {
        let tenancy = settings.tenancy
        let (limits, fallback) = (limits, settings.maxEntriesLimit)
        @Sendable func maxEntries(_ tenant: String) -> Int { limits(tenant).maxEntriesLimitPerQuery ?? fallback }
        router.ws("/loki/api/v1/tail", shouldUpgrade: { request, _ in
            let tenant = tenant(of: request, tenancy: tenancy)
            _ = try Self.request(RequestParameters.fromQuery(request), tenant: tenant, maxEntries: maxEntries(tenant))
            return .upgrade([:])
        }, onUpgrade: { inbound, outbound, context in
            // The upgrade request as the client sent it: the access middleware's rewrite of
            // X-Scope-OrgID to the authenticated tenant does not reach here.
            let request = context.request
            guard let tenant = tenant(of: request, tenancy: tenancy, tenants: tenants) else { return }
            let tail = try Self.request(RequestParameters.fromQuery(request), tenant: tenant, maxEntries: maxEntries(tenant))
            let live = LiveTail(store: store, engine: engine)
            let finished = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await live.run(tail) { frame in try await outbound.writeTextMessage(Self.json(frame)) }
                    return true
                }
                group.addTask {
                    // Ends when the client closes or goes away, which ends the tail at once.
                    for try await _ in inbound.messages(maxSize: 1 << 16) {}
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: Self.maxDuration)
                    return false
                }
                let first = try await group.next() ?? true
                group.cancelAll()
                return first
            }
            if !finished {
                try await outbound.close(.unexpectedServerError, reason: "reached tail max duration limit")
            }
        })
    }

    /// Loki's `TailResponse`: both lists are left out when empty.
    static func json(_ frame: TailFrame) -> String {
        var w = JSONWriter(capacity: 16 * 1024)
        w.beginObject()
        if !frame.streams.isEmpty {
            w.key("streams"); w.beginArray()
            for s in frame.streams {
                w.beginObject()
                w.key("stream"); w.labels(s.labels)
                w.key("values"); w.beginArray()
                for e in s.entries { w.beginArray(); w.string(String(e.timestamp)); w.string(bytes: e.line); w.endArray() }
                w.endArray()
                w.endObject()
            }
            w.endArray()
        }
        if !frame.dropped.isEmpty {
            w.key("dropped_entries"); w.beginArray()
            for d in frame.dropped {
                w.beginObject()
                w.field("timestamp", String(d.timestamp))
                if !d.labels.isEmpty { w.key("labels"); w.labels(d.labels) }
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
