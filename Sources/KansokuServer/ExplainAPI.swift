import Foundation
import Hummingbird
import KansokuCore
import KansokuExplain
import KansokuLogQL
import NIOCore

/// `/kansoku/api/v1/explain`: what changed in a window of a log query against a baseline; and
/// `/kansoku/api/v1/explain/request`: one request's lines across every stream. The answers are
/// the same JSON `kansoku explain -o json` prints; the work is KansokuExplain's.
extension LokiAPI {
    func registerExplain(on router: Router<some RequestContext>) {
        let limit = settings.maxRequestBytes
        let tenancy = settings.tenancy
        for method in [HTTPRequest.Method.get, .post] {
            router.on("/kansoku/api/v1/explain", method: method) { request, _ in
                var request = request
                let p = try await RequestParameters.from(&request, bodyLimit: limit)
                return try await explain(p, tenant: tenant(of: request, tenancy: tenancy))
            }
            router.on("/kansoku/api/v1/explain/request", method: method) { request, _ in
                var request = request
                let p = try await RequestParameters.from(&request, bodyLimit: limit)
                return try await followRequest(p, tenant: tenant(of: request, tenancy: tenancy))
            }
        }
    }

    func explain(_ p: RequestParameters, tenant: String) async throws -> Response {
        let q = try p.required("query")
        let (start, end) = try timeRange(p, defaultLookback: 3_600_000_000_000)
        guard end > start else { throw APIError.badRequest("end timestamp must not be before or equal to start time") }
        try checkQueryLength(end - start, tenant: tenant)
        var r = ExplainRequest(query: q, start: start, end: end)
        if let b = p["baseline"] {
            guard let choice = BaselineChoice(rawValue: b) else {
                throw APIError.badRequest("invalid baseline \"\(b)\": expected previous, yesterday, range or rest")
            }
            r.baseline = choice
        }
        r.baselineRange = try baselineRange(p, choice: p["baseline"].flatMap(BaselineChoice.init(rawValue:)), tenant: tenant)
        if r.baselineRange != nil { r.baseline = .range }
        r.filters = try p.all("filter").filter { !$0.isEmpty }.map { text in
            guard let f = ExplainFilter(parsing: text) else { throw APIError.badRequest("invalid filter \"\(text)\": expected name=value") }
            return f
        }
        r.sampleLines = try p.int("limit", default: r.sampleLines)
        r.top = try p.int("top", default: r.top)
        let explainer = Explainer(engine: engine, tenant: tenant)
        let request = r
        let report = try await runExplain(tenant: tenant) { try await explainer.explain(request) }
        return Self.jsonResponse(ExplainJSON.encode(report))
    }

    /// `baseline_start` and `baseline_end`: a chosen baseline, both or neither, with `baseline`
    /// absent or `range`; bounded as the window is.
    func baselineRange(_ p: RequestParameters, choice: BaselineChoice?, tenant: String) throws -> BaselineRange? {
        guard p["baseline_start"] != nil || p["baseline_end"] != nil else {
            if choice == .range { throw APIError.badRequest("baseline=range needs baseline_start and baseline_end") }
            return nil
        }
        guard p["baseline_start"] != nil, p["baseline_end"] != nil else {
            throw APIError.badRequest("baseline_start and baseline_end go together")
        }
        if let choice, choice != .range {
            throw APIError.badRequest("baseline_start and baseline_end choose a range baseline, not \(choice.rawValue)")
        }
        let range = BaselineRange(start: try p.time("baseline_start", default: 0), end: try p.time("baseline_end", default: 0))
        do { _ = try range.validated() } catch { throw APIError.badRequest(error.description) }
        try checkQueryLength(range.end - range.start, tenant: tenant)
        return range
    }

    func followRequest(_ p: RequestParameters, tenant: String) async throws -> Response {
        let given = p.all("id").filter { !$0.isEmpty }
        let ids = given.isEmpty ? p["line"].map { RequestIDs.extract(line: $0, labels: Labels()) } ?? [] : given
        guard !ids.isEmpty else { throw APIError.badRequest("missing parameter \"id\" (or a \"line\" carrying a request or trace id)") }
        let time = try p.time("time", default: TimeParser.currentNanos())
        let around = try p.duration("around")?.nanoseconds ?? 300_000_000_000
        let lines = try p.int("limit", default: 1000)
        let follower = RequestFollower(engine: engine, tenant: tenant)
        let timeline = try await runExplain(tenant: tenant) { try await follower.follow(ids: ids, time: time, around: around, limit: lines) }
        return Self.jsonResponse(ExplainJSON.encode(timeline))
    }

    /// Runs explain's queries as users' queries run: on the background pool, within the query
    /// limits and deadline; its errors become 400 (the caller's) or 422.
    func runExplain<T: Sendable>(tenant: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let limits = self.limits(tenant)
        let queryLimits = LogQLLimits(maxQuerySeries: limits.maxQuerySeries, maxTemplateOutputBytes: limits.maxTemplateOutputBytes)
        do {
            return try await ScanPool.$current.withValue(.background) {
                try await LogQLLimits.$current.withValue(queryLimits) {
                    try await withDeadline(limits.queryTimeout) { try await body() }
                }
            }
        } catch let e as APIError {
            throw e
        } catch let e as ExplainError {
            if case .query(.cancelled) = e { throw APIError.timedOut }
            throw e.isUserError ? APIError.badRequest(e.description) : APIError.unprocessable(e.description)
        } catch {
            throw APIError.unprocessable("\(error)")
        }
    }

    static func jsonResponse(_ data: Data) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
