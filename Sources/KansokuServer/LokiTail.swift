import Hummingbird
import HummingbirdWebSocket
import KansokuCore
import KansokuLogQL
import KansokuLogStore
import Logging

/// `/loki/api/v1/tail`: a websocket that streams new matching lines. Each second it queries
/// the range since the newest line sent (WAL-acknowledged entries are visible at once), so a
/// tail sees exactly what a query would, with the same pipeline and filters.
struct LokiTail: Sendable {
    let store: LogStore
    let engine: LogQLEngine
    let settings: ServerSettings
    let logger: Logger

    /// Loki's `tail_max_duration`.
    static let maxDuration: Duration = .seconds(3600)

    func register(on router: Router<BasicWebSocketRequestContext>) {
        let tenancy = settings.tenancy
        router.ws("/loki/api/v1/tail", shouldUpgrade: { request, _ in
            guard let q = RequestParameters.fromQuery(request)["query"] else {
                throw APIError.badRequest("missing required parameter \"query\"")
            }
            do { _ = try LogQLParser.parse(q) } catch { throw APIError.badRequest("\(error)") }
            return .upgrade([:])
        }, onUpgrade: { _, outbound, context in
            let request = context.request
            let params = RequestParameters.fromQuery(request)
            let q = params["query"] ?? ""
            let limit = min(Int(params["limit"] ?? "") ?? 100, settings.maxEntriesLimit)
            let tenantID = tenant(of: request, tenancy: tenancy)
            var since: Int64
            if let s = params["start"], let t = try? TimeParser.parse(s) {
                since = t
            } else {
                since = TimeParser.currentNanos() - 3_600_000_000_000
            }
            let deadline = ContinuousClock.now + Self.maxDuration
            var sentAtSince = Set<String>()
            var first = true
            while !Task.isCancelled, ContinuousClock.now < deadline {
                let now = TimeParser.currentNanos()
                let (model, _) = try await engine.queryRangeModel(q, tenant: tenantID, start: since, end: now + 1,
                                                                  step: 1_000_000_000, interval: nil, direction: .forward,
                                                                  limit: first ? limit : settings.maxEntriesLimit)
                first = false
                if case .streams(let streams) = model {
                    var out: [QueryResultModel.Stream] = []
                    var newest = since
                    var atNewest = Set<String>()
                    for s in streams {
                        let lines = s.lines.filter { $0.timestamp > since || !sentAtSince.contains("\(s.labels)\u{0}\($0.line)") }
                        if !lines.isEmpty { out.append(.init(labels: s.labels, lines: lines)) }
                        for l in lines where l.timestamp >= newest {
                            if l.timestamp > newest { newest = l.timestamp; atNewest.removeAll() }
                            atNewest.insert("\(s.labels)\u{0}\(l.line)")
                        }
                    }
                    if !out.isEmpty {
                        var w = JSONWriter(capacity: 16 * 1024)
                        w.beginObject()
                        w.key("streams"); w.beginArray()
                        for s in out {
                            w.beginObject()
                            w.key("stream"); w.labels(s.labels)
                            w.key("values"); w.beginArray()
                            for l in s.lines { w.beginArray(); w.string(String(l.timestamp)); w.string(l.line); w.endArray() }
                            w.endArray()
                            w.endObject()
                        }
                        w.endArray()
                        w.key("dropped_entries"); w.beginArray(); w.endArray()
                        w.endObject()
                        try await outbound.writeTextMessage(String(decoding: w.bytes, as: UTF8.self))
                    }
                    if newest > since { since = newest; sentAtSince = atNewest } else { sentAtSince.formUnion(atNewest) }
                }
                try await Task.sleep(for: .seconds(1))
            }
            try await outbound.close(.unexpectedServerError, reason: "reached tail max duration limit")
        })
    }
}
