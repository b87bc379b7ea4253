import AsyncHTTPClient
import Foundation
public import KansokuCore
public import KansokuExplain
import NIOCore

/// One series of a metric answer.
public struct SeriesData: Sendable, Equatable {
    public var labels: Labels
    public var points: [(t: Double, v: Double)]
    public static func == (a: SeriesData, b: SeriesData) -> Bool {
        a.labels == b.labels && a.points.map(\.t) == b.points.map(\.t) && a.points.map(\.v) == b.points.map(\.v)
    }
    public init(labels: Labels, points: [(t: Double, v: Double)]) {
        self.labels = labels
        self.points = points
    }
}

/// One log line of an answer.
public struct LogLine: Sendable, Equatable {
    public var timestamp: Int64
    public var labels: Labels
    public var line: String
    public init(timestamp: Int64, labels: Labels, line: String) {
        self.timestamp = timestamp
        self.labels = labels
        self.line = line
    }
}

/// What the dashboard reads. The HTTP implementation talks to a Kansoku (or Loki +
/// Prometheus) server; tests give fixed data.
public protocol DashboardDataSource: Sendable {
    func instant(_ promql: String) async throws -> [SeriesData]
    func range(_ query: String, logql: Bool, start: Int64, end: Int64, step: Int64) async throws -> [SeriesData]
    func logs(_ logql: String, start: Int64, end: Int64, limit: Int) async throws -> [LogLine]
    func labelValues(_ name: String) async throws -> [String]
    /// The log label names.
    func labelNames() async throws -> [String]
    /// What changed in a query's window against a baseline (`/kansoku/api/v1/explain`).
    func explain(_ query: String, start: Int64, end: Int64, baseline: BaselineChoice, baselineRange: BaselineRange?,
                 filters: [ExplainFilter]) async throws -> ExplainReport
    /// The lines of a request across every stream (`/kansoku/api/v1/explain/request`).
    func followRequest(ids: [String], time: Int64) async throws -> RequestTimeline
}

extension DashboardDataSource {
    public func explain(_ query: String, start: Int64, end: Int64, baseline: BaselineChoice, baselineRange: BaselineRange?,
                        filters: [ExplainFilter]) async throws -> ExplainReport {
        throw DataSourceError(message: "this server does not explain")
    }
    public func followRequest(ids: [String], time: Int64) async throws -> RequestTimeline {
        throw DataSourceError(message: "this server does not follow requests")
    }
}

/// An error the server reported (shown inline, e.g. a LogQL parse error).
public struct DataSourceError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// The HTTP data source.
public struct HTTPDataSource: DashboardDataSource {
    public var address: String
    public var tenant: String?

    public init(address: String, tenant: String?) {
        self.address = address.hasSuffix("/") ? String(address.dropLast()) : address
        self.tenant = tenant
    }

    func get(_ path: String, _ params: [(String, String)]) async throws -> [String: Any] {
        let (status, body) = try await getData(path, params)
        let obj = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
        guard status < 300 else { throw DataSourceError(message: (obj["error"] as? String) ?? "server answered \(status)") }
        return obj
    }

    func getData(_ path: String, _ params: [(String, String)]) async throws -> (status: UInt, body: Data) {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let query = params.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }.joined(separator: "&")
        var request = HTTPClientRequest(url: "\(address)\(path)?\(query)")
        if let tenant { request.headers.add(name: "X-Scope-OrgID", value: tenant) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 64 << 20)
        return (response.status.code, Data(body.readableBytesView))
    }

    /// A typed answer of Kansoku's own API; an error answer's message is thrown.
    func getDecoded<T: Codable>(_ type: T.Type, _ path: String, _ params: [(String, String)]) async throws -> T {
        let (status, body) = try await getData(path, params)
        guard status < 300 else {
            let obj = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:]
            throw DataSourceError(message: (obj["error"] as? String) ?? "server answered \(status)")
        }
        do { return try ExplainJSON.decode(type, from: body) } catch { throw DataSourceError(message: "unreadable answer from \(path): \(error)") }
    }

    public func explain(_ query: String, start: Int64, end: Int64, baseline: BaselineChoice, baselineRange: BaselineRange?,
                        filters: [ExplainFilter]) async throws -> ExplainReport {
        try await getDecoded(ExplainReport.self, "/kansoku/api/v1/explain",
                             [("query", query), ("start", String(start)), ("end", String(end)), ("baseline", baseline.rawValue)]
                                 + (baselineRange.map { [("baseline_start", String($0.start)), ("baseline_end", String($0.end))] } ?? [])
                                 + filters.map { ("filter", $0.description) })
    }

    public func followRequest(ids: [String], time: Int64) async throws -> RequestTimeline {
        try await getDecoded(RequestTimeline.self, "/kansoku/api/v1/explain/request", [("time", String(time))] + ids.map { ("id", $0) })
    }

    static func series(_ obj: [String: Any]) -> [SeriesData] {
        guard let data = obj["data"] as? [String: Any], let result = data["result"] as? [[String: Any]] else { return [] }
        func point(_ any: Any) -> (Double, Double)? {
            guard let p = any as? [Any], p.count == 2 else { return nil }
            let t = (p[0] as? Double) ?? Double("\(p[0])") ?? 0
            return (t, Double((p[1] as? String) ?? "") ?? .nan)
        }
        return result.map { r in
            let labels = Labels((r["metric"] as? [String: String]) ?? [:])
            if let v = r["value"], let p = point(v) { return SeriesData(labels: labels, points: [p]) }
            return SeriesData(labels: labels, points: ((r["values"] as? [Any]) ?? []).compactMap(point))
        }
    }

    public func instant(_ promql: String) async throws -> [SeriesData] {
        Self.series(try await get("/api/v1/query", [("query", promql)]))
    }

    public func range(_ query: String, logql: Bool, start: Int64, end: Int64, step: Int64) async throws -> [SeriesData] {
        if logql {
            return Self.series(try await get("/loki/api/v1/query_range", [("query", query), ("start", String(start)), ("end", String(end)),
                                                                           ("step", String(Double(step) / 1e9))]))
        }
        return Self.series(try await get("/api/v1/query_range", [("query", query), ("start", String(Double(start) / 1e9)),
                                                                  ("end", String(Double(end) / 1e9)), ("step", String(Double(step) / 1e9))]))
    }

    public func logs(_ logql: String, start: Int64, end: Int64, limit: Int) async throws -> [LogLine] {
        let obj = try await get("/loki/api/v1/query_range", [("query", logql), ("start", String(start)), ("end", String(end)),
                                                              ("limit", String(limit)), ("direction", "backward")])
        guard let data = obj["data"] as? [String: Any], let result = data["result"] as? [[String: Any]] else { return [] }
        var out: [LogLine] = []
        for s in result {
            let labels = Labels((s["stream"] as? [String: String]) ?? [:])
            for v in (s["values"] as? [[String]]) ?? [] where v.count >= 2 {
                out.append(LogLine(timestamp: Int64(v[0]) ?? 0, labels: labels, line: v[1]))
            }
        }
        return out.sorted { $0.timestamp > $1.timestamp }
    }

    public func labelNames() async throws -> [String] {
        ((try await get("/loki/api/v1/labels", []))["data"] as? [String]) ?? []
    }

    public func labelValues(_ name: String) async throws -> [String] {
        ((try await get("/loki/api/v1/label/\(name)/values", []))["data"] as? [String]) ?? []
    }
}
