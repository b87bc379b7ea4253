import Hummingbird
import KansokuCore
import KansokuIngest
import KansokuLogQL
import KansokuLogStore
import Logging
import NIOCore

/// The Loki HTTP API (`/loki/api/v1/*`) over the log store and the LogQL engine.
struct LokiAPI: Sendable {
    let store: LogStore
    let engine: LogQLEngine
    let settings: ServerSettings
    let limits: TenantLimits
    let metrics: ServerMetrics
    let logger: Logger
    let rateLimiter: IngestRateLimiter

    init(store: LogStore, engine: LogQLEngine, settings: ServerSettings, limits: TenantLimits = TenantLimits(),
         metrics: ServerMetrics, logger: Logger) {
        self.store = store
        self.engine = engine
        self.settings = settings
        self.limits = limits
        self.metrics = metrics
        self.logger = logger
        rateLimiter = IngestRateLimiter(limits)
    }

    /// The tenant's `max_entries_limit_per_query`, else the older `server.max_entries_limit`.
    func maxEntriesLimit(_ tenant: String) -> Int { limits(tenant).maxEntriesLimitPerQuery ?? settings.maxEntriesLimit }

    func register(on router: Router<some RequestContext>) {
        let limit = settings.maxRequestBytes
        let tenancy = settings.tenancy
        router.post("/loki/api/v1/push") { request, _ in
            var request = request
            return try await push(&request, tenant: tenant(of: request, tenancy: tenancy))
        }
        for method in [HTTPRequest.Method.get, .post] {
            router.on("/loki/api/v1/query_range", method: method) { request, _ in
                var request = request
                let p = try await RequestParameters.from(&request, bodyLimit: limit)
                return try await queryRange(p, tenant: tenant(of: request, tenancy: tenancy))
            }
            router.on("/loki/api/v1/query", method: method) { request, _ in
                var request = request
                let p = try await RequestParameters.from(&request, bodyLimit: limit)
                return try await instantQuery(p, tenant: tenant(of: request, tenancy: tenancy))
            }
            router.on("/loki/api/v1/format_query", method: method) { request, _ in
                var request = request
                let p = try await RequestParameters.from(&request, bodyLimit: limit)
                let expr: LogQLExpr
                do { expr = try LogQLParser.parse(try p.required("query")) } catch let e as APIError { throw e } catch {
                    throw APIError.badRequest("\(error)")
                }
                return Response.json(successEnvelope { $0.string(LogQLPrettier().format(expr)) })
            }
            router.on("/loki/api/v1/series", method: method) { request, _ in
                var request = request
                let p = try await RequestParameters.from(&request, bodyLimit: limit)
                return try series(p, tenant: tenant(of: request, tenancy: tenancy))
            }
        }
        router.get("/loki/api/v1/labels") { request, _ in
            var request = request
            let p = try await RequestParameters.from(&request, bodyLimit: limit)
            return try labels(p, tenant: tenant(of: request, tenancy: tenancy))
        }
        router.get("/loki/api/v1/label/:name/values") { request, context in
            var request = request
            let p = try await RequestParameters.from(&request, bodyLimit: limit)
            return try labelValues(context.parameters.get("name") ?? "", p, tenant: tenant(of: request, tenancy: tenancy))
        }
        router.get("/loki/api/v1/index/stats") { request, _ in
            var request = request
            let p = try await RequestParameters.from(&request, bodyLimit: limit)
            return try indexStats(p, tenant: tenant(of: request, tenancy: tenancy))
        }
        registerVolume(on: router)
        registerOTLP(on: router)
        registerExplain(on: router)
        router.get("/loki/api/v1/status/buildinfo") { _, _ in
            var w = JSONWriter()
            w.beginObject(); w.field("version", KansokuVersion.string); w.field("revision", ""); w.field("branch", ""); w.endObject()
            return Response.json(w)
        }
    }

    // MARK: push

    func push(_ request: inout Request, tenant: String) async throws -> Response {
        let bytes = try await RequestBody.read(&request, settings: settings)
        let contentType = request.headers[.contentType]
        let inflated = settings.maxDecompressedBytes
        var batches: [StreamBatch]
        do {
            batches = try bytes.withUnsafeBytes { (b) throws(PushDecodeError) in
                try PushDecoder.decode(body: b, contentType: contentType, tenant: tenant, maxDecompressedSize: inflated)
            }
        } catch PushDecodeError.snappy(.tooLarge(let n, _)) {
            throw APIError.tooLarge(n, limit: inflated)
        } catch {
            throw APIError.badRequest("\(error)")
        }
        try await ingest(&batches, tenant: tenant)
        return Response(status: .noContent)
    }

    /// Stores decoded push batches under the tenant's limits, as Loki does: valid entries are
    /// stored, then the request fails naming what was refused.
    func ingest(_ batches: inout [StreamBatch], tenant: String) async throws {
        let invalid = PushLimits(limits(tenant)).validate(&batches)
        let streamLimited = try admit(&batches, tenant: tenant)
        let result: AppendResult
        do {
            result = try await store.append(batches)
        } catch {
            logger.error("push failed", metadata: ["error": "\(error)"])
            throw APIError(.internalServerError, .internal, "\(error)")
        }
        metrics.recordPush(accepted: result.accepted, rejected: result.rejected.count + invalid.count)
        if let streamLimited { throw APIError(.tooManyRequests, .unavailable, streamLimited) }
        if let first = invalid.first {
            // As Loki: valid entries are stored, the request answers 400 naming what was not.
            throw APIError.badRequest(invalid.count == 1 ? first : "\(first) (and \(invalid.count - 1) more)")
        }
        if !result.rejected.isEmpty {
            // Loki answers 400 naming the first rejected entries; the accepted ones are stored.
            let shown = result.rejected.prefix(3).map { "\($0.reason)" }.joined(separator: "; ")
            throw APIError.badRequest("\(result.rejected.count) of \(result.rejected.count + result.accepted) entries rejected: \(shown)")
        }
    }

    // MARK: queries

    func direction(_ p: RequestParameters) throws -> Direction {
        switch p["direction"]?.lowercased() ?? "backward" {
        case "backward": return .backward
        case "forward": return .forward
        case let other: throw APIError.badRequest("invalid direction \"\(other)\": expected forward or backward")
        }
    }

    func entryLimit(_ p: RequestParameters, tenant: String) throws -> Int {
        let l = try p.int("limit", default: 100)
        let cap = maxEntriesLimit(tenant)
        guard cap <= 0 || l <= cap else {
            throw APIError.badRequest("max entries limit per query exceeded, limit > max_entries_limit (\(l) > \(cap))")
        }
        return l == 0 ? cap : l
    }

    func queryRange(_ p: RequestParameters, tenant: String) async throws -> Response {
        let q = try p.required("query")
        let now = TimeParser.currentNanos()
        var end = try p.time("end", default: now)
        var start: Int64
        if let since = try p.duration("since") {
            start = end - since.nanoseconds
        } else {
            start = try p.time("start", default: end - 3_600_000_000_000)
        }
        if start > end { swap(&start, &end) }
        try checkQueryLength(end - start, tenant: tenant)
        guard end > start || p["start"] == nil else { throw APIError.badRequest("end timestamp must not be before or equal to start time") }
        let rangeNanos = max(end - start, 1)
        let defaultStep = max(1, rangeNanos / 1_000_000_000 / 250 + (rangeNanos / 1_000_000_000 % 250 > 0 ? 1 : 0)) * 1_000_000_000
        let step = try p.duration("step")?.nanoseconds ?? defaultStep
        guard step > 0 else {
            throw APIError.badRequest("zero or negative query resolution step widths are not accepted. Try a positive integer")
        }
        if rangeNanos / step > Int64(settings.maxPointsPerSeries) {
            throw APIError.badRequest("exceeded maximum resolution of 11,000 points per timeseries. Try increasing the value of the step parameter")
        }
        let interval = try p.duration("interval")?.nanoseconds
        let started = TimeParser.currentNanos()
        try checkRanges(q, tenant: tenant)
        let (from, through, dir, limit) = (start, end, try direction(p), try entryLimit(p, tenant: tenant))
        let outcome = try await run(tenant: tenant) {
            try await engine.queryRangeModel(q, tenant: tenant, start: from, end: through, step: step, interval: interval,
                                             direction: dir, limit: limit)
        }
        return respond(outcome, started: started)
    }

    func instantQuery(_ p: RequestParameters, tenant: String) async throws -> Response {
        let q = try p.required("query")
        let t = try p.time("time", default: TimeParser.currentNanos())
        let started = TimeParser.currentNanos()
        try checkRanges(q, tenant: tenant)
        let (dir, limit) = (try direction(p), try entryLimit(p, tenant: tenant))
        let outcome = try await run(tenant: tenant) {
            try await engine.instantQueryModel(q, tenant: tenant, time: t, direction: dir, limit: limit)
        }
        return respond(outcome, started: started)
    }

    /// Runs a query under the configured limits, answering 504 once `query_timeout` passes
    /// (the query itself stops at its next block).
    func run(tenant: String, _ body: @escaping @Sendable () async throws -> (QueryResultModel, QueryStatsSummary)) async throws -> (QueryResultModel, QueryStatsSummary) {
        let limits = self.limits(tenant)
        let queryLimits = LogQLLimits(maxQuerySeries: limits.maxQuerySeries, maxTemplateOutputBytes: limits.maxTemplateOutputBytes)
        do {
            // Users' queries scan below ingestion's and the rules' priority.
            return try await ScanPool.$current.withValue(.background) {
                try await LogQLLimits.$current.withValue(queryLimits) {
                    try await ClientClosure.cancellingOnClose {
                        try await withDeadline(limits.queryTimeout, body)
                    }
                }
            }
        } catch let e as APIError {
            throw e
        } catch let e as LogQLError {
            throw APIError.badRequest(e.description)
        } catch {
            throw APIError.unprocessable("\(error)")
        }
    }

    func respond(_ outcome: (QueryResultModel, QueryStatsSummary), started: Int64) -> Response {
        var stats = outcome.1
        stats.execTimeSeconds = Double(TimeParser.currentNanos() - started) / 1e9
        metrics.recordQuery(seconds: stats.execTimeSeconds, kind: "logql")
        return .json(successEnvelope(capacity: 64 * 1024, warnings: stats.warnings) { w in w.queryData(outcome.0, stats: stats) })
    }

    // MARK: metadata

    func timeRange(_ p: RequestParameters, defaultLookback: Int64 = 6 * 3_600_000_000_000) throws -> (Int64, Int64) {
        let now = TimeParser.currentNanos()
        let end = try p.time("end", default: now)
        if let since = try p.duration("since") { return (end - since.nanoseconds, end) }
        return (try p.time("start", default: end - defaultLookback), end)
    }

    func selectorMatchers(_ text: String) throws -> [LabelMatcher] {
        if text.trimmingCharacters(in: .whitespaces) == "{}" { return [] }
        do { return try LogQLParser.parseMatchers(text) } catch { throw APIError.badRequest("\(error)") }
    }

    func labels(_ p: RequestParameters, tenant: String) throws -> Response {
        let (from, through) = try timeRange(p)
        var names: [String]
        if let q = p["query"] {
            let m = try selectorMatchers(q)
            names = Array(Set(store.streams(tenant: tenant, matchers: m, from: from, through: through).flatMap { $0.labels.map(\.name) })).sorted()
        } else {
            names = store.labelNames(tenant: tenant, from: from, through: through)
        }
        return .json(successEnvelope { w in w.beginArray(); for n in names { w.string(n) }; w.endArray() })
    }

    func labelValues(_ name: String, _ p: RequestParameters, tenant: String) throws -> Response {
        let (from, through) = try timeRange(p)
        let m = try p["query"].map { try selectorMatchers($0) } ?? []
        let values = store.labelValues(tenant: tenant, name: name, matchers: m, from: from, through: through)
        return .json(successEnvelope { w in w.beginArray(); for v in values { w.string(v) }; w.endArray() })
    }

    func series(_ p: RequestParameters, tenant: String) throws -> Response {
        let (from, through) = try timeRange(p)
        let selectors = p.all("match[]") + p.all("match")
        guard !selectors.isEmpty else { throw APIError.badRequest("missing required parameter \"match[]\"") }
        var seen = Set<Labels>()
        var out: [Labels] = []
        for s in selectors {
            for info in store.streams(tenant: tenant, matchers: try selectorMatchers(s), from: from, through: through)
            where seen.insert(info.labels).inserted {
                out.append(info.labels)
            }
        }
        return .json(successEnvelope { w in w.beginArray(); for l in out { w.labels(l) }; w.endArray() })
    }

    func indexStats(_ p: RequestParameters, tenant: String) throws -> Response {
        let (from, through) = try timeRange(p, defaultLookback: 3_600_000_000_000)
        let m = try selectorMatchers(try p.required("query"))
        var streams = 0, chunks = 0, entries = 0, bytes = 0
        for info in store.streams(tenant: tenant, matchers: m, from: from, through: through) {
            streams += 1
            for b in store.blocks(tenant: tenant, stream: info.id, from: from, through: through) {
                chunks += 1
                entries += b.entryCount
                bytes += b.rawSize
            }
        }
        var w = JSONWriter()
        w.beginObject()
        w.field("streams", streams); w.field("chunks", chunks); w.field("entries", entries); w.field("bytes", bytes)
        w.endObject()
        return .json(w)
    }
}
