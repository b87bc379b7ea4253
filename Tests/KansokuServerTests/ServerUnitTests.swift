import KansokuCore
import KansokuLogQL
import KansokuLogStore
@testable import KansokuServer
import Foundation
import Testing

@Suite struct ConfigTests {
    @Test func emptyConfigUsesEmbeddedDefaults() throws {
        let c = try KansokuConfig.parse("")
        #expect(c.server.listen == "127.0.0.1:3100")
        #expect(c.storage.path == "./data")
        #expect(c.storage.fsync == "batch")
        #expect(c.notify == nil)
    }

    @Test func sectionsAreRead() throws {
        let c = try KansokuConfig.parse("""
        server: { listen: 0.0.0.0:9999, tenancy: true }
        storage: { path: /tmp/x, retention: 24h }
        rules: { files: ["a/*.yaml"], interval: 15s }
        """)
        let (host, port) = try c.server.hostAndPort()
        #expect(host == "0.0.0.0")
        #expect(port == 9999)
        #expect(c.server.tenancy)
        #expect(try c.storage.retentionDuration() == PromDuration(milliseconds: 86_400_000))
        #expect(c.rules.files == ["a/*.yaml"])
    }

    @Test func badYAMLNamesLineAndColumn() {
        #expect(throws: ConfigError.self) { try KansokuConfig.parse("server: { listen: [1, 2") }
        do {
            _ = try KansokuConfig.parse("server:\n  listen: [oops\n")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".hasPrefix("kansoku.yaml:"))
        }
    }

    /// `storage.chunk_block_size` takes sizes from 4 KiB to 16 MiB; anything else is refused
    /// with the key named, at startup and by `config check`.
    @Test func chunkBlockSizeIsBounded() throws {
        #expect(try KansokuConfig.parse("").storage.chunkBlockBytes() == 256 << 10)
        #expect(try KansokuConfig.parse("storage: { chunk_block_size: 32KiB }").storage.chunkBlockBytes() == 32 << 10)
        #expect(try KansokuConfig.parse("storage: { chunk_block_size: 65536 }").storage.chunkBlockBytes() == 65536)
        for bad in ["1KiB", "0", "-4KiB", "17MiB", "1e30", "lots", "\"\""] {
            let c = try KansokuConfig.parse("storage: { chunk_block_size: \(bad) }")
            #expect(throws: ConfigError.self, "\(bad)") { try c.storage.chunkBlockBytes() }
            #expect(c.problems().contains { $0.contains("storage.chunk_block_size") }, "\(bad)")
        }
    }

    @Test func badListenIsRejected() {
        var s = ServerSettings()
        s.listen = "localhost"
        #expect(throws: ConfigError.self) { try s.hostAndPort() }
    }
}

@Suite struct JSONWriterTests {
    @Test func escapesAndNests() {
        var w = JSONWriter()
        w.beginObject()
        w.field("a", "x\"y\\z\n\u{01}")
        w.key("l"); w.labels(Labels(["k": "v"]))
        w.key("n"); w.beginArray(); w.int(1); w.raw("2.5"); w.null(); w.endArray()
        w.endObject()
        #expect(String(decoding: w.bytes, as: UTF8.self) == #"{"a":"x\"y\\z\n\u0001","l":{"k":"v"},"n":[1,2.5,null]}"#)
    }

    @Test func invalidUTF8BecomesReplacementCharacter() {
        var w = JSONWriter()
        w.string(bytes: [0x61, 0xFF, 0x62])
        #expect(String(decoding: w.bytes, as: UTF8.self) == "\"a\u{FFFD}b\"")
    }

    @Test func promFloatsAndTimes() {
        #expect(formatUnixSeconds(millis: 1_700_000_000_500) == "1700000000.5")
        #expect(formatUnixSeconds(millis: 1_700_000_000_000) == "1700000000")
    }
}

@Suite struct ClientDecodingTests {
    @Test func decodesLokiStreamsAndPrometheusVectors() throws {
        let streams = #"{"status":"success","data":{"resultType":"streams","result":[{"stream":{"app":"a"},"values":[["1700000000000000001","hi"]]}]}}"#
        guard case .streams(let s) = try KansokuClient.decodeQueryResult(Data(streams.utf8)) else { Issue.record("not streams"); return }
        #expect(s.first?.labels == Labels(["app": "a"]))
        #expect(s.first?.lines.first?.timestamp == 1_700_000_000_000_000_001)
        #expect(s.first?.lines.first?.line == "hi")
        let vector = #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"x"},"value":[1700000000.5,"3"]}]}}"#
        guard case .vector(let v) = try KansokuClient.decodeQueryResult(Data(vector.utf8)) else { Issue.record("not vector"); return }
        #expect(v.first?.points.first?.timestampMillis == 1_700_000_000_500)
        #expect(v.first?.points.first?.value == 3)
    }
}

@Suite struct ResultPrinterTests {
    @Test func logcliStyleOutput() {
        let model = QueryResultModel.streams([
            .init(labels: Labels(["app": "a", "env": "p"]), lines: [.init(timestamp: 2_000_000_000, line: "two")]),
            .init(labels: Labels(["app": "b", "env": "p"]), lines: [.init(timestamp: 1_000_000_000, line: "one")]),
        ])
        var out = ""
        ResultPrinter(format: .raw, color: false, forward: true).render(model) { out += $0 }
        #expect(out == "one\ntwo\n")
        out = ""
        ResultPrinter(format: .default, color: false, forward: false).render(model) { out += $0 }
        #expect(out == "Common labels: {env=\"p\"}\n1970-01-01T00:00:02Z {app=\"a\"} two\n1970-01-01T00:00:01Z {app=\"b\"} one\n")
    }
}

@Suite struct TailFrameTests {
    /// Loki's `TailResponse`: `streams` and `dropped_entries`, each left out when empty,
    /// timestamps as nanosecond strings.
    @Test func framesHaveLokisShape() throws {
        let labels = Labels(["app": "api"])
        let frame = TailFrame(streams: [StreamResult(labels: labels, entries: [LogEntry(timestamp: 1_700_000_000_000_000_001, line: "a \"b\"")])],
                              dropped: [DroppedEntry(labels: labels, timestamp: 5)])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(LokiTail.json(frame).utf8)) as? [String: Any])
        #expect(Set(json.keys) == ["streams", "dropped_entries"])
        let stream = try #require((json["streams"] as? [[String: Any]])?.first)
        #expect(stream["stream"] as? [String: String] == ["app": "api"])
        #expect(stream["values"] as? [[String]] == [["1700000000000000001", "a \"b\""]])
        let dropped = try #require(json["dropped_entries"] as? [[String: Any]])
        #expect(dropped.count == 1)
        #expect(dropped.first?["timestamp"] as? String == "5")
        #expect(dropped.first?["labels"] as? [String: String] == ["app": "api"])
        #expect(LokiTail.json(TailFrame(streams: frame.streams, dropped: [])).contains("dropped_entries") == false)
        #expect(LokiTail.json(TailFrame(streams: [], dropped: frame.dropped)).contains("streams") == false)
    }

    @Test func badTailParametersAreRefusedBeforeTheUpgrade() {
        func request(_ pairs: [String: String]) throws -> LiveTail.Request {
            var p = RequestParameters()
            p.addForm(pairs.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&"))
            return try LokiTail.request(p, tenant: "fake", maxEntries: 5000)
        }
        #expect(throws: APIError.self) { try request([:]) }
        #expect(throws: APIError.self) { try request(["query": "sum(rate({app=\"x\"}[1m]))"]) }
        #expect(throws: APIError.self) { try request(["query": "{app=\"x\"}", "delay_for": "6"]) }
        #expect(throws: APIError.self) { try request(["query": "{app=\"x\"}", "limit": "5001"]) }
        #expect((try? request(["query": "{app=\"x\"}", "delay_for": "2", "limit": "7", "start": "10"]))
            .map { [$0.limit, Int($0.start), Int($0.delayFor.components.seconds)] } == [7, 10_000_000_000, 2])
    }
}
