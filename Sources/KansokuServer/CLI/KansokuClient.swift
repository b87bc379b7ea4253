import AsyncHTTPClient
public import Foundation
public import KansokuCore
public import NIOCore
import NIOHTTP1

/// A client failure, with what the user should know.
public enum ClientError: Error, Sendable, CustomStringConvertible {
    case unreachable(address: String, reason: String)
    case server(status: Int, message: String)
    case malformedResponse(String)

    public var description: String {
        switch self {
        case .unreachable(let a, let r): return "cannot reach \(a): \(r) (is `kansoku server` running? set --addr)"
        case .server(let s, let m): return "server answered \(s): \(m)"
        case .malformedResponse(let m): return "unexpected response from server: \(m)"
        }
    }
}

/// Talks to a Kansoku (or Loki/Prometheus) server's HTTP API, as the CLI and scripts do.
public struct KansokuClient: Sendable {
    public var address: String
    public var tenant: String?
    public var bearerToken: String?
    public var timeout: TimeAmount = .seconds(120)

    public init(address: String, tenant: String? = nil, bearerToken: String? = nil) {
        self.address = address.hasSuffix("/") ? String(address.dropLast()) : address
        self.tenant = tenant
        self.bearerToken = bearerToken
    }

    /// GETs `path` with query `params` and returns the body of a 2xx answer.
    public func get(_ path: String, _ params: [(String, String)]) async throws(ClientError) -> Data {
        var url = address + path
        if !params.isEmpty {
            url += "?" + params.map { "\($0.0)=\(Self.encode($0.1))" }.joined(separator: "&")
        }
        var request = HTTPClientRequest(url: url)
        if let tenant { request.headers.add(name: "X-Scope-OrgID", value: tenant) }
        if let bearerToken { request.headers.add(name: "Authorization", value: "Bearer \(bearerToken)") }
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await HTTPClient.shared.execute(request, timeout: timeout)
            body = try await response.body.collect(upTo: 1 << 30)
        } catch {
            throw .unreachable(address: address, reason: "\(error)")
        }
        let data = Data(body.readableBytesView)
        guard (200..<300).contains(Int(response.status.code)) else {
            let message = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["error"] as? String
                ?? String(decoding: data, as: UTF8.self)
            throw .server(status: Int(response.status.code), message: message.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return data
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// `/loki/api/v1/query_range` (or `/query` when `instant`), decoded.
    public func logQuery(_ query: String, start: Int64, end: Int64, limit: Int, forward: Bool,
                         step: PromDuration?, instant: Bool) async throws(ClientError) -> QueryResultModel {
        var params: [(String, String)] = [("query", query), ("limit", String(limit)),
                                          ("direction", forward ? "forward" : "backward")]
        if instant {
            params.append(("time", String(end)))
        } else {
            params += [("start", String(start)), ("end", String(end))]
            if let step { params.append(("step", String(step.seconds))) }
        }
        let data = try await get(instant ? "/loki/api/v1/query" : "/loki/api/v1/query_range", params)
        return try Self.decodeQueryResult(data)
    }

    /// `/api/v1/query` or `/api/v1/query_range`, decoded.
    public func promQuery(_ query: String, time: Int64?, range: (start: Int64, end: Int64, step: PromDuration)?) async throws(ClientError) -> QueryResultModel {
        var params: [(String, String)] = [("query", query)]
        if let range {
            params += [("start", TimeFormatter.rfc3339Nano(range.start)), ("end", TimeFormatter.rfc3339Nano(range.end)),
                       ("step", String(range.step.seconds))]
        } else if let time {
            params.append(("time", TimeFormatter.rfc3339Nano(time)))
        }
        let data = try await get(range == nil ? "/api/v1/query" : "/api/v1/query_range", params)
        return try Self.decodeQueryResult(data)
    }

    /// A `{"status":"success","data":[…strings…]}` answer.
    public func stringList(_ path: String, _ params: [(String, String)]) async throws(ClientError) -> [String] {
        let data = try await get(path, params)
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let list = obj["data"] as? [String] else {
            throw .malformedResponse("expected a list of strings")
        }
        return list
    }

    /// A `{"status":"success","data":[{…labels…}]}` answer.
    public func labelSets(_ path: String, _ params: [(String, String)]) async throws(ClientError) -> [Labels] {
        let data = try await get(path, params)
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let list = obj["data"] as? [[String: String]] else {
            throw .malformedResponse("expected a list of label sets")
        }
        return list.map { Labels($0) }
    }

    /// Decodes Loki's and Prometheus's `data.resultType` / `data.result` shapes.
    public static func decodeQueryResult(_ data: Data) throws(ClientError) -> QueryResultModel {
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let d = obj["data"] as? [String: Any], let type = d["resultType"] as? String else {
            throw .malformedResponse("no data.resultType")
        }
        func labels(_ any: Any?) -> Labels { Labels((any as? [String: String]) ?? [:]) }
        func point(_ any: Any?) -> QueryResultModel.Point? {
            guard let pair = any as? [Any], pair.count >= 2 else { return nil }
            let t = (pair[0] as? Double) ?? Double("\(pair[0])") ?? 0
            let v = Double((pair[1] as? String) ?? "") ?? .nan
            return QueryResultModel.Point(timestampMillis: Int64((t * 1000).rounded()), value: v)
        }
        switch type {
        case "streams":
            let result = (d["result"] as? [[String: Any]]) ?? []
            return .streams(result.map { s in
                let values = (s["values"] as? [[Any]]) ?? []
                return QueryResultModel.Stream(labels: labels(s["stream"]), lines: values.compactMap { v in
                    guard v.count >= 2, let ts = Int64("\(v[0])"), let line = v[1] as? String else { return nil }
                    return QueryResultModel.Line(timestamp: ts, line: line)
                })
            })
        case "vector":
            let result = (d["result"] as? [[String: Any]]) ?? []
            return .vector(result.map { QueryResultModel.Series(labels: labels($0["metric"]), points: point($0["value"]).map { [$0] } ?? []) })
        case "matrix":
            let result = (d["result"] as? [[String: Any]]) ?? []
            return .matrix(result.map { s in
                QueryResultModel.Series(labels: labels(s["metric"]), points: ((s["values"] as? [Any]) ?? []).compactMap(point))
            })
        case "scalar":
            guard let p = point(d["result"]) else { throw .malformedResponse("bad scalar") }
            return .scalar(p)
        case "string":
            let pair = d["result"] as? [Any]
            return .string(0, (pair?.last as? String) ?? "")
        default:
            throw .malformedResponse("unknown resultType \(type)")
        }
    }
}
