public import Foundation
public import KansokuCore
import HTTPTypes
import HummingbirdWSClient
import Logging

/// One frame of `/loki/api/v1/tail`, decoded.
public struct TailMessage: Sendable {
    /// An entry the server dropped because this client read too slowly.
    public struct Dropped: Sendable {
        public var labels: Labels
        public var timestamp: Int64
    }

    public var streams: [QueryResultModel.Stream]
    public var dropped: [Dropped]
}

extension KansokuClient {
    /// Follows `/loki/api/v1/tail` (Kansoku's or Loki's) over a websocket, calling `onMessage`
    /// for each frame until the server closes the tail or the task is cancelled. The server
    /// pushes lines as it accepts them, so nothing is polled and late lines are not missed.
    public func tail(_ query: String, start: Int64, limit: Int, delayFor: Int = 0,
                     onMessage: @escaping @Sendable (TailMessage) async -> Void) async throws(ClientError) {
        let params: [(String, String)] = [("query", query), ("start", String(start)), ("limit", String(limit)),
                                          ("delay_for", String(delayFor))]
        let url = Self.webSocketAddress(address) + "/loki/api/v1/tail?"
            + params.map { "\($0.0)=\(Self.encode($0.1))" }.joined(separator: "&")
        var headers = HTTPFields()
        if let tenant { headers[HTTPField.Name("X-Scope-OrgID")!] = tenant }
        if let bearerToken { headers[.authorization] = "Bearer \(bearerToken)" }
        let configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 20, additionalHeaders: headers)
        let close: WebSocketCloseFrame?
        do {
            close = try await WebSocketClient.connect(url: url, configuration: configuration,
                                                      logger: Logger(label: "kansoku.tail")) { inbound, _, _ in
                for try await message in inbound.messages(maxSize: 64 << 20) {
                    guard case .text(let text) = message else { continue }
                    await onMessage(try Self.decodeTailMessage(Data(text.utf8)))
                }
            }
        } catch let e as ClientError {
            throw e
        } catch let e as WebSocketClientError where e == .webSocketUpgradeFailed {
            // The reason of a refused upgrade is in the answer to the same request over HTTP.
            _ = try await get("/loki/api/v1/tail", params)
            throw .malformedResponse("the server refused the websocket upgrade")
        } catch {
            throw .unreachable(address: address, reason: "\(error)")
        }
        if let close, close.closeCode != .normalClosure, close.closeCode != .goingAway {
            throw .server(status: 0, message: "tail closed: \(close.reason ?? "\(close.closeCode)")")
        }
    }

    static func webSocketAddress(_ address: String) -> String {
        if address.hasPrefix("https://") { return "wss://" + address.dropFirst(8) }
        if address.hasPrefix("http://") { return "ws://" + address.dropFirst(7) }
        return address
    }

    /// Decodes Loki's `TailResponse` JSON.
    public static func decodeTailMessage(_ data: Data) throws(ClientError) -> TailMessage {
        guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw .malformedResponse("a tail frame is not a JSON object")
        }
        func labels(_ any: Any?) -> Labels { Labels((any as? [String: String]) ?? [:]) }
        let streams = ((obj["streams"] as? [[String: Any]]) ?? []).map { s in
            QueryResultModel.Stream(labels: labels(s["stream"]), lines: ((s["values"] as? [[Any]]) ?? []).compactMap { v in
                guard v.count >= 2, let ts = Int64("\(v[0])"), let line = v[1] as? String else { return nil }
                return QueryResultModel.Line(timestamp: ts, line: line)
            })
        }
        let dropped = ((obj["dropped_entries"] as? [[String: Any]]) ?? []).compactMap { d -> TailMessage.Dropped? in
            guard let ts = (d["timestamp"] as? String).flatMap({ Int64($0) }) else { return nil }
            return TailMessage.Dropped(labels: labels(d["labels"]), timestamp: ts)
        }
        return TailMessage(streams: streams, dropped: dropped)
    }
}
