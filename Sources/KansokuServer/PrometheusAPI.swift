import Hummingbird
import KansokuCore
import KansokuMetricStore
import KansokuPromQL

/// The Prometheus HTTP API (`/api/v1/*`, `/federate`) over the metric store and PromQL.
struct PrometheusAPI: Sendable {
    let store: MetricStore
    let engine: PromQLEngine
    let settings: ServerSettings
    let rules: RulesAPIProvider?

    func register(on router: Router<some RequestContext>) {
        let limit = settings.maxRequestBytes
        for method in [HTTPRequest.Method.get, .post] {
            router.on("/api/v1/query", method: method) { request, _ in
                var request = request
                let p = try await RequestParameters.from(&request, bodyLimit: limit)
                return try await instantQuery(p, tenant: scope(request))
            }
            router.on("/api/v1/query_range", method: method) { request, _ in
                var request = request
                let p = try await RequestParameters.from(&request, bodyLimit: limit)
                return try await rangeQuery(p, tenant: scope(request))
            }
            router.on("/api/v1/series", method: method) { request, _ in
                var request = request
                let p = try await RequestParameters.from(&request, bodyLimit: limit)
                return try series(p, tenant: scope(request))
            }
            router.on("/api/v1/labels", method: method) { request, _ in
                var request = request
                let p = try await RequestParameters.from(&request, bodyLimit: limit)
                return try labelNames(p, tenant: scope(request))
            }
        }
        router.get("/api/v1/label/:name/values") { request, context in
            var request = request
            let p = try await RequestParameters.from(&request, bodyLimit: limit)
            let name = context.parameters.get("name") ?? ""
            return try labelValues(name, p, tenant: scope(request))
        }
        router.get("/federate") { request, _ in
            var request = request
            let p = try await RequestParameters.from(&request, bodyLimit: limit)
            return try federate(p, tenant: scope(request))
        }
        router.get("/api/v1/status/buildinfo") { _, _ in
            Response.json(successEnvelope { w in
                w.beginObject()
                w.field("version", KansokuVersion.string)
                w.field("revision", "")
                w.field("branch", "")
                w.field("goVersion", "")
                w.endObject()
            })
        }
        router.get("/api/v1/rules") { request, _ in
            let type = RequestParameters.fromQuery(request)["type"]
            return Response.json(await (rules ?? .empty).rulesJSON(type: type, tenant: scope(request)))
        }
        router.get("/api/v1/alerts") { request, _ in
            Response.json(await (rules ?? .empty).alertsJSON(tenant: scope(request)))
        }
    }

    /// With tenancy on, the tenant every read is restricted to (`MetricTenancy`); nil reads
    /// the whole store.
    func scope(_ request: Request) -> String? {
        settings.tenancy ? tenant(of: request, tenancy: true) : nil
    }

    /// The engine reading what `tenant` may see.
    func engine(for tenant: String?) -> PromQLEngine {
        tenant.map { engine.scoped(to: $0) } ?? engine
    }

    /// `matchers` restricted to `tenant`, if any.
    func restrict(_ matchers: [LabelMatcher], _ tenant: String?) -> [LabelMatcher] {
        tenant.map { MetricTenancy.restrict(matchers, to: $0) } ?? matchers
    }

    func instantQuery(_ p: RequestParameters, tenant: String?) async throws -> Response {
        let q = try p.required("query")
        let now = TimeParser.currentNanos()
        let t = try p.time("time", default: now) / 1_000_000
        let value: QueryResultModel
        do {
            let engine = engine(for: tenant)
            value = try await ClientClosure.cancellingOnClose { [engine] in try await engine.instantQueryModel(q, at: t) }
        } catch let e as APIError { throw e } catch {
            throw Self.classify(error)
        }
        return .json(successEnvelope { w in w.queryData(value, stats: nil) })
    }

    func rangeQuery(_ p: RequestParameters, tenant: String?) async throws -> Response {
        let q = try p.required("query")
        let start = try p.time("start", default: -1), end = try p.time("end", default: -1)
        guard start >= 0 || p["start"] != nil else { throw APIError.badRequest("missing required parameter \"start\"") }
        guard end >= 0 || p["end"] != nil else { throw APIError.badRequest("missing required parameter \"end\"") }
        guard let stepText = p["step"] else { throw APIError.badRequest("missing required parameter \"step\"") }
        let step = try Self.stepMilliseconds(stepText)
        guard end >= start else { throw APIError.badRequest("end timestamp must not be before start time") }
        guard step > 0 else {
            throw APIError.badRequest("zero or negative query resolution step widths are not accepted. Try a positive integer")
        }
        // start and end are nanoseconds of any sign: the span may not fit in an Int64.
        let (span, overflow) = end.subtractingReportingOverflow(start)
        if overflow || span / 1_000_000 / step > Int64(settings.maxPointsPerSeries) {
            throw APIError.badRequest("exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)")
        }
        let value: QueryResultModel
        do {
            let engine = engine(for: tenant)
            value = try await ClientClosure.cancellingOnClose { [engine] in
                try await engine.rangeQueryModel(q, start: start / 1_000_000, end: end / 1_000_000, step: step)
            }
        } catch let e as APIError { throw e } catch {
            throw Self.classify(error)
        }
        return .json(successEnvelope { w in w.queryData(value, stats: nil) })
    }

    /// `step` as Prometheus reads it: float seconds or a duration, in milliseconds; a float
    /// beyond int64 nanoseconds is refused as Prometheus refuses it.
    static func stepMilliseconds(_ text: String) throws(APIError) -> Int64 {
        if let seconds = Double(text) {
            let ns = seconds * 1e9
            // NaN converts to a negative step in Go, refused as one.
            if ns.isNaN { return 0 }
            guard ns < 9.223372036854775807e18, ns >= -9.223372036854775808e18 else {
                throw .badRequest("invalid parameter \"step\": cannot parse \"\(text)\" to a valid duration. It overflows int64")
            }
            return Int64(ns) / 1_000_000
        }
        guard let d = PromDuration(text) else {
            throw .badRequest("invalid parameter \"step\": cannot parse \"\(text)\" to a valid duration")
        }
        return d.milliseconds
    }

    /// Parse errors are the client's (400); failures while evaluating are 422, a timeout 503,
    /// a cancelled query 499, as Prometheus answers.
    static func classify(_ error: any Error) -> APIError {
        if let e = error as? APIError { return e }
        switch error as? PromQLError {
        case .parse?: return .badRequest("\(error)")
        case .storage?: return APIError(.internalServerError, .internal, "\(error)")
        case .timeout?: return APIError(.serviceUnavailable, .timeout, "\(error)")
        case .canceled?: return APIError(HTTPResponse.Status(code: 499, reasonPhrase: "Client Closed Request"), .canceled, "\(error)")
        default: return .unprocessable("\(error)")
        }
    }

    func matcherSets(_ p: RequestParameters, required: Bool) throws -> [[LabelMatcher]] {
        let exprs = p.all("match[]")
        if required && exprs.isEmpty { throw APIError.badRequest("no match[] parameter provided") }
        return try exprs.map { text in
            do { return try PromQLParser.parseSelector(text) } catch { throw APIError.badRequest("invalid parameter \"match[]\": \(error)") }
        }
    }

    func timeRange(_ p: RequestParameters) throws -> (Int64, Int64) {
        let from = try p.time("start", default: Int64.min / 2) / 1_000_000
        let through = try p.time("end", default: Int64.max / 2) / 1_000_000
        return (from, through)
    }

    func series(_ p: RequestParameters, tenant: String?) throws -> Response {
        let sets = try matcherSets(p, required: true)
        let (from, through) = try timeRange(p)
        var seen = Set<Labels>()
        var out: [Labels] = []
        for m in sets {
            for found in store.series(matchers: restrict(m, tenant), from: from, through: through) {
                let l = MetricTenancy.visible(found)
                if seen.insert(l).inserted { out.append(l) }
            }
        }
        return .json(successEnvelope { w in w.beginArray(); for l in out { w.labels(l) }; w.endArray() })
    }

    func labelNames(_ p: RequestParameters, tenant: String?) throws -> Response {
        let sets = try matcherSets(p, required: false)
        let (from, through) = try timeRange(p)
        var names = Set<String>()
        for m in sets.isEmpty ? [[]] : sets { names.formUnion(store.labelNames(matchers: restrict(m, tenant), from: from, through: through)) }
        if tenant != nil { names.remove(MetricTenancy.label) }
        return .json(successEnvelope { w in w.beginArray(); for n in names.sorted() { w.string(n) }; w.endArray() })
    }

    func labelValues(_ name: String, _ p: RequestParameters, tenant: String?) throws -> Response {
        let sets = try matcherSets(p, required: false)
        let (from, through) = try timeRange(p)
        var values = Set<String>()
        // A tenant's series show no `__tenant__`, so it has no values.
        if tenant == nil || name != MetricTenancy.label {
            for m in sets.isEmpty ? [[]] : sets {
                values.formUnion(store.labelValues(name: name, matchers: restrict(m, tenant), from: from, through: through))
            }
        }
        return .json(successEnvelope { w in w.beginArray(); for v in values.sorted() { w.string(v) }; w.endArray() })
    }

    /// `/federate`: the latest sample of every matching series, in the text format.
    func federate(_ p: RequestParameters, tenant: String?) throws -> Response {
        let sets = try matcherSets(p, required: true)
        let now = TimeParser.currentNanos() / 1_000_000
        var out = ""
        var seen = Set<Labels>()
        for m in sets {
            for s in store.select(matchers: restrict(m, tenant), from: now - 300_000, through: now) {
                let labels = MetricTenancy.visible(s.labels)
                guard seen.insert(labels).inserted, let last = s.samples.last, !StaleNaN.isStale(last.v) else { continue }
                let name = labels["__name__"] ?? ""
                let rest = labels.removing(["__name__"])
                let lbls = rest.isEmpty ? "" : "{" + rest.map { "\($0.name)=\(goQuoted($0.value))" }.joined(separator: ",") + "}"
                out += "\(name)\(lbls) \(GoFloat.fixed(last.v)) \(last.t)\n"
            }
        }
        return .text(out, contentType: "text/plain; version=0.0.4; charset=utf-8")
    }
}
