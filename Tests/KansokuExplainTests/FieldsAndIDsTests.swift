import KansokuCore
@testable import KansokuExplain
import Testing

@Suite struct FieldsAndIDsTests {
    func fields(_ line: String) -> [String: String] {
        Dictionary(LineFields().fields(of: line).map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func accessLogWithExtensions() {
        let f = fields(#"10.1.2.3 - - [05/Dec/2026:22:00:00 +0000] "GET /live/seg-12.ts HTTP/1.1" 503 157 "-" "ExoPlayerLib/2.19.1" rt=2.412 upstream=origin-3 request_id=5f0c2a9e1b7d4c83"#)
        #expect(f["status"] == "503" && f["method"] == "GET" && f["path"] == "/live/seg-12.ts")
        #expect(f["upstream"] == "origin-3" && f["rt"] == "2.412" && f["request_id"] == "5f0c2a9e1b7d4c83")
        #expect(f["user_agent"] == "ExoPlayerLib/2.19.1" && f["remote_addr"] == "10.1.2.3")
        #expect(f["remote_user"] == nil)   // "-" is no value
    }

    @Test func accessLogWithoutExtensions() {
        let f = fields(#"10.1.2.3 - bob [05/Dec/2026:22:00:00 +0000] "POST /api HTTP/2.0" 201 12 "https://x/" "curl/8""#)
        #expect(f["status"] == "201" && f["method"] == "POST" && f["remote_user"] == "bob" && f["path"] == "/api")
    }

    @Test func jsonAndLogfmt() {
        #expect(fields(#"{"level":"error","origin":"origin-3","ctx":{"traceID":"abc"}}"#) == ["level": "error", "origin": "origin-3", "ctx_traceID": "abc"])
        let l = fields("2026-12-05T22:00:00Z ERROR segment fetch failed: origin=origin-3 status=503")
        #expect(l["origin"] == "origin-3" && l["status"] == "503")
        #expect(LineFields.layout(of: Array("{\"a\":1}".utf8)) == .json)
        #expect(LineFields.layout(of: Array("a b c [x] \"GET".utf8)) == .access)
        #expect(LineFields.layout(of: Array("a b [x] \"GET".utf8)) == .logfmt)
    }

    @Test func profiles() {
        #expect(FieldProfile.bucket(2.4) == "[2,5)")
        #expect(FieldProfile.bucket(0.37) == "[0.2,0.5)")
        #expect(FieldProfile.bucket(7) == "[5,10)")
        #expect(FieldProfile.bounds(ofBucket: "[0.2,0.5)")! == (0.2, 0.5))
        #expect(FieldProfile.normaliseDigits("/live/seg-123.ts") == "/live/seg-<n>.ts")
        // Read on bytes: characters of several bytes pass through, each digit run is one <n>.
        #expect(FieldProfile.normaliseDigits("café-12/ü3x45") == "café-<n>/ü<n>x<n>")
        #expect(FieldProfile.normaliseDigits("2026") == "<n>")
        #expect(FieldProfile.normaliseDigits("") == "")
        #expect(FieldProfile.normaliseDigits("日本0語") == "日本<n>語")
        for id in ["5f0c2a9e1b7d4c83", "0af7651916cd43dd8448eb211c80319c", "1733436000123", "2026-12-05T22:00:00.123Z",
                   "123e4567-e89b-12d3-a456-426614174000"] {
            #expect(FieldProfile.looksLikeIdentifier(id), "\(id)")
        }
        for v in ["origin-3", "503", "2.412", "/live/seg-123.ts", "deadbeef", "GET"] { #expect(!FieldProfile.looksLikeIdentifier(v), "\(v)") }
        #expect(FieldProfile.of(["503", "504", "200"]) == .keep)
        #expect(FieldProfile.of((0..<100).map { "/p/\($0)" }) == .skip(reason: "values differ only in numbers"))
    }

    @Test func requestIDs() {
        #expect(RequestIDs.extract(line: "INFO done request_id=5f0c2a9e1b7d4c83 took=3ms", labels: Labels()) == ["5f0c2a9e1b7d4c83"])
        #expect(RequestIDs.extract(line: #"{"msg":"x","traceID":"0af7651916cd43dd8448eb211c80319c"}"#, labels: Labels()) == ["0af7651916cd43dd8448eb211c80319c"])
        #expect(RequestIDs.extract(line: "GET / traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", labels: Labels())
            == ["0af7651916cd43dd8448eb211c80319c"])
        #expect(RequestIDs.extract(line: "proxy: X-Request-ID: req-77aa88bb done", labels: Labels()) == ["req-77aa88bb"])
        // Structured metadata (OTLP's trace_id) reaches explain as labels of the line.
        #expect(RequestIDs.extract(line: "payment failed", labels: Labels(["trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "app": "pay"]))
            == ["4bf92f3577b34da6a3ce929d0e0e4736"])
        #expect(RequestIDs.extract(line: "request_id=short", labels: Labels()).isEmpty)
    }
}
