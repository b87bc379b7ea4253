import Foundation
import KansokuCore
import Testing

@testable import KansokuNotify

@Suite struct FingerprintTests {
    @Test func matchesPrometheusCommonSignature() {
        // prometheus/common's own test vector for labelSetToFingerprint.
        let labels = Labels(["name": "garland, briggs", "fear": "love is not enough"])
        let alert = NotifyAlert(labels: labels, startsAt: 0)
        #expect(alert.fingerprint.value == 5_799_056_148_416_392_346)
        #expect(alert.fingerprint.description == "507a62d79ee76c9a")
    }

    @Test func emptyLabelSetIsTheFNVOffset() {
        #expect(NotifyAlert(labels: Labels(), startsAt: 0).fingerprint.description == "cbf29ce484222325")
    }

    @Test func printsSixteenDigits() {
        #expect(AlertFingerprint(0xab).description == "00000000000000ab")
    }
}

@Suite struct GoJSONWriterTests {
    @Test func escapesAsGoDoes() {
        var w = GoJSONWriter()
        w.string("a<b>&\"c\"\\\n\t\u{01}\u{2028}é")
        #expect(String(decoding: w.bytes, as: UTF8.self) == #""a\u003cb\u003e\u0026\"c\"\\\n\t\u0001\u2028é""#)
    }

    @Test func sortsMapKeysByBytes() {
        var w = GoJSONWriter()
        w.stringMap([("b", "1"), ("B", "2"), ("a", "3")])
        #expect(String(decoding: w.bytes, as: UTF8.self) == #"{"B":"2","a":"3","b":"1"}"#)
    }
}

@Suite struct WebhookMessageTests {
    static let t0: UnixNanos = 1_787_392_800_000_000_000  // 2026-08-22T10:00:00Z

    @Test func encodesVersion4ExactlyAsAlertmanager() {
        let firing = NotifyAlert(
            labels: Labels(["alertname": "SLOBurn", "severity": "page", "service": "api"]),
            annotations: ["summary": "budget <burning> & fast"], startsAt: Self.t0,
            endsAt: Self.t0 + 3_600_000_000_000, generatorURL: "http://kansoku:3100/graph?g0.expr=x")
        let resolved = NotifyAlert(
            labels: Labels(["alertname": "SLOBurn", "severity": "page", "service": "web"]),
            annotations: ["summary": "other"], startsAt: Self.t0, endsAt: Self.t0 + 120_500_000_000,
            generatorURL: "", status: .resolved)
        let body = WebhookMessage.encode(
            receiver: "team.x", groupKey: "{}/{severity=\"page\"}:{alertname=\"SLOBurn\"}",
            groupLabels: Labels(["alertname": "SLOBurn"]), alerts: [firing, resolved],
            externalURL: "http://127.0.0.1:3100", maxAlerts: 0, now: Self.t0 + 200_000_000_000)
        let expected =
            #"{"receiver":"team\\.x","status":"firing","alerts":["#
            + #"{"status":"firing","labels":{"alertname":"SLOBurn","service":"api","severity":"page"},"#
            + #""annotations":{"summary":"budget \u003cburning\u003e \u0026 fast"},"startsAt":"2026-08-22T10:00:00Z","#
            + #""endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://kansoku:3100/graph?g0.expr=x","fingerprint":""#
            + firing.fingerprint.description + #""},"#
            + #"{"status":"resolved","labels":{"alertname":"SLOBurn","service":"web","severity":"page"},"#
            + #""annotations":{"summary":"other"},"startsAt":"2026-08-22T10:00:00Z","endsAt":"2026-08-22T10:02:00.5Z","#
            + #""generatorURL":"","fingerprint":""# + resolved.fingerprint.description + #""}],"#
            + #""groupLabels":{"alertname":"SLOBurn"},"commonLabels":{"alertname":"SLOBurn","severity":"page"},"#
            + #""commonAnnotations":{},"externalURL":"http://127.0.0.1:3100","version":"4","#
            + #""groupKey":"{}/{severity=\"page\"}:{alertname=\"SLOBurn\"}","truncatedAlerts":0}"# + "\n"
        #expect(String(decoding: body, as: UTF8.self) == expected)
        // And it is valid JSON with the fields a receiver reads.
        let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        #expect(object?["version"] as? String == "4")
    }

    @Test func allResolvedGroupHasResolvedStatusAndMaxAlertsTruncates() {
        let alerts = (0..<5).map {
            NotifyAlert(labels: Labels(["alertname": "A", "i": "\($0)"]), startsAt: Self.t0, endsAt: Self.t0 + 1, status: .resolved)
        }
        let body = WebhookMessage.encode(
            receiver: "r", groupKey: "{}:{}", groupLabels: Labels(), alerts: alerts, externalURL: "",
            maxAlerts: 2, now: Self.t0 + 10)
        let object = try! JSONSerialization.jsonObject(with: Data(body)) as! [String: Any]
        #expect(object["status"] as? String == "resolved")
        #expect((object["alerts"] as? [Any])?.count == 2)
        #expect(object["truncatedAlerts"] as? Int == 3)
        #expect(object["commonLabels"] as? [String: String] == ["alertname": "A"])
    }

    @Test func firingAlertPastItsEndsAtCountsAsResolved() {
        let a = NotifyAlert(labels: Labels(["alertname": "A"]), startsAt: 0, endsAt: 5)
        #expect(a.isResolved(at: 5))
        #expect(!a.isResolved(at: 4))
    }

    @Test func postableAlertsCarryFutureEndsAtWhileFiring() {
        let now = Self.t0
        let firing = NotifyAlert(labels: Labels(["alertname": "A"]), startsAt: now - 1_000_000_000, endsAt: now - 1 + 1_000_000_000)
        let resolved = NotifyAlert(labels: Labels(["alertname": "B"]), startsAt: now - 5, endsAt: now - 1, status: .resolved)
        let body = String(decoding: PostableAlerts.encode([firing, resolved], now: now, validFor: .seconds(240)), as: UTF8.self)
        #expect(
            body == #"[{"labels":{"alertname":"A"},"annotations":{},"startsAt":"2026-08-22T09:59:59Z","endsAt":"2026-08-22T10:04:00Z"},"#
                + #"{"labels":{"alertname":"B"},"annotations":{},"startsAt":"2026-08-22T09:59:59.999999995Z","endsAt":"2026-08-22T09:59:59.999999999Z"}]"#
                + "\n")
    }

    @Test func alertsSortByJobInstanceThenLabels() {
        let a = NotifyAlert(labels: Labels(["alertname": "z"]), startsAt: 0)
        let b = NotifyAlert(labels: Labels(["alertname": "y", "job": "b"]), startsAt: 0)
        let c = NotifyAlert(labels: Labels(["alertname": "x", "job": "a"]), startsAt: 0)
        let d = NotifyAlert(labels: Labels(["alertname": "a"]), startsAt: 0)
        #expect([a, b, c, d].sortedAlertmanagerStyle().map { $0.labels["alertname"]! } == ["x", "y", "a", "z"])
    }
}

@Suite struct SecretTests {
    @Test func neverPrintsItsValue() {
        let s = Secret("hunter2")
        #expect("\(s)" == "<secret>")
        #expect(String(reflecting: s) == "<secret>")
        var dumped = ""
        dump(s, to: &dumped)
        #expect(!dumped.contains("hunter2"))
        let endpoint = HTTPEndpointConfig(url: "http://user:hunter2@host/x")
        #expect(!"\(endpoint)".contains("hunter2"))
        #expect(s.reveal() == "hunter2")
    }

    @Test func readsFilesTrimmingNewline() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kansoku-secret-\(UInt64.random(in: 0...UInt64.max))").path
        try "tok\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try SecretFile.read(path).reveal() == "tok")
        #expect(throws: NotifySendError.secretFileUnreadable(path: path + ".missing")) { try SecretFile.read(path + ".missing") }
    }
}
