import Foundation
import KansokuCore
import Testing

@testable import KansokuNotify
import KansokuTestSupport

/// Delivery through a real HTTP server on loopback. Timers are shortened to tens of
/// milliseconds; assertions are about what arrives and in which order, not about timing.
@Suite(.serialized) struct DeliveryTests {
    static func tempDir() -> String {
        ScratchDirectory.make("kansoku-notify")
    }

    static func config(
        url: String, groupWait: Int64 = 100, groupInterval: Int64 = 200, repeatInterval: Int64 = 3_600_000,
        sendResolved: Bool = true, maxAlerts: Int = 0, extra: (inout WebhookConfig) -> Void = { _ in }
    ) -> NotifyConfig {
        var webhook = WebhookConfig(
            endpoint: HTTPEndpointConfig(url: url, timeout: PromDuration(milliseconds: 2000)), maxAlerts: maxAlerts,
            sendResolved: sendResolved)
        extra(&webhook)
        return NotifyConfig(
            receivers: [ReceiverConfig(name: "oncall", webhook: webhook)],
            route: RouteConfig(
                receiver: "oncall", groupBy: ["alertname", "service"], groupWait: PromDuration(milliseconds: groupWait),
                groupInterval: PromDuration(milliseconds: groupInterval),
                repeatInterval: PromDuration(milliseconds: repeatInterval)),
            externalURL: "http://127.0.0.1:3100",
            delivery: DeliveryConfig(
                initialBackoff: PromDuration(milliseconds: 20), maxBackoff: PromDuration(milliseconds: 100)))
    }

    static func alert(_ name: String, service: String = "api", instance: String = "a", status: NotifyAlertStatus = .firing)
        -> NotifyAlert
    {
        let now = TimeParser.currentNanos()
        return NotifyAlert(
            labels: Labels(["alertname": name, "service": service, "instance": instance]),
            annotations: ["summary": "\(name) on \(service)"], startsAt: now, endsAt: status == .resolved ? now : nil,
            generatorURL: "http://127.0.0.1:3100/graph", status: status)
    }

    static func json(_ r: TestReceiver.Request) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any]) ?? [:]
    }

    /// Waits until the receiver has seen `count` requests, then a little more to catch extras.
    static func settle(_ receiver: TestReceiver, count: Int, quiet: Duration = .milliseconds(500)) async throws
        -> [TestReceiver.Request]
    {
        try await receiver.waitFor(count: count)
        try await Task.sleep(for: quiet)
        return receiver.requests
    }

    @Test func groupsAlertsWaitsAndSendsResolvedOnce() async throws {
        let receiver = try await TestReceiver()
        let dir = Self.tempDir()
        let notifier = try Notifier(config: Self.config(url: receiver.url), directory: dir)
        await notifier.start()

        // Two alerts of one group and one of another, within group_wait: two notifications.
        await notifier.send([Self.alert("HighErrorRate", instance: "a"), Self.alert("HighErrorRate", instance: "b")])
        await notifier.send([Self.alert("HighLatency")])
        var got = try await Self.settle(receiver, count: 2)
        #expect(got.count == 2)
        let byKey = Dictionary(uniqueKeysWithValues: got.map { (Self.json($0)["groupKey"] as! String, $0) })
        let errors = try #require(byKey[#"{}:{alertname="HighErrorRate", service="api"}"#])
        let e = Self.json(errors)
        #expect(e["status"] as? String == "firing")
        #expect((e["alerts"] as? [[String: Any]])?.count == 2)
        #expect(e["groupLabels"] as? [String: String] == ["alertname": "HighErrorRate", "service": "api"])
        #expect(e["receiver"] as? String == "oncall")
        #expect(errors.headers["content-type"] == "application/json")
        #expect(errors.headers["idempotency-key"]?.count == 32)
        #expect(errors.method == "POST" && errors.uri == "/hook")
        #expect(byKey[#"{}:{alertname="HighLatency", service="api"}"#] != nil)

        // Re-sending the same firing alerts changes nothing: no notification before repeat_interval.
        await notifier.send([Self.alert("HighErrorRate", instance: "a")])
        try await Task.sleep(for: .milliseconds(600))
        #expect(receiver.requests.count == 2)

        // One of the two resolves: a notice with both alerts, then the last one resolves.
        await notifier.send([Self.alert("HighErrorRate", instance: "a", status: .resolved)])
        got = try await Self.settle(receiver, count: 3)
        #expect(got.count == 3)
        let partial = Self.json(got[2])
        #expect(partial["status"] as? String == "firing")
        let statuses = (partial["alerts"] as! [[String: Any]]).map { $0["status"] as! String }.sorted()
        #expect(statuses == ["firing", "resolved"])

        await notifier.send([Self.alert("HighErrorRate", instance: "b", status: .resolved)])
        got = try await Self.settle(receiver, count: 4)
        #expect(got.count == 4)
        let done = Self.json(got[3])
        #expect(done["status"] as? String == "resolved")
        #expect((done["alerts"] as! [[String: Any]]).count == 1)
        #expect(notifier.metrics.receivers["oncall"]?.sent == 4)
        #expect(notifier.metrics.outboxDepth == 0)
        await notifier.shutdown()
        try await receiver.stop()
    }

    @Test func alertResolvedWithinGroupWaitIsNeverNotified() async throws {
        let receiver = try await TestReceiver()
        let notifier = try Notifier(config: Self.config(url: receiver.url, groupWait: 200), directory: Self.tempDir())
        await notifier.start()
        // One batch, so no flush can fall between the two updates.
        await notifier.send([Self.alert("Blip"), Self.alert("Blip", status: .resolved)])
        try await Task.sleep(for: .milliseconds(800))
        #expect(receiver.requests.isEmpty)
        #expect(await notifier.groupKeys.isEmpty)
        await notifier.shutdown()
        try await receiver.stop()
    }

    @Test func repeatIntervalResendsUnchangedGroup() async throws {
        let receiver = try await TestReceiver()
        let notifier = try Notifier(
            config: Self.config(url: receiver.url, groupWait: 50, groupInterval: 100, repeatInterval: 250),
            directory: Self.tempDir())
        await notifier.start()
        await notifier.send([Self.alert("Sticky")])
        let got = try await receiver.waitFor(count: 3)
        #expect(got.count >= 3)
        let bodies = got.prefix(3).map { Self.json($0) }
        #expect(bodies.allSatisfy { $0["status"] as? String == "firing" })
        // Each repeat is its own notification.
        #expect(Set(got.prefix(3).compactMap { $0.headers["idempotency-key"] }).count == 3)
        await notifier.shutdown()
        try await receiver.stop()
    }

    @Test func sendResolvedFalseSuppressesResolvedNotices() async throws {
        let receiver = try await TestReceiver()
        let notifier = try Notifier(config: Self.config(url: receiver.url, sendResolved: false), directory: Self.tempDir())
        await notifier.start()
        await notifier.send([Self.alert("Quiet")])
        _ = try await Self.settle(receiver, count: 1)
        await notifier.send([Self.alert("Quiet", status: .resolved)])
        try await Task.sleep(for: .milliseconds(600))
        #expect(receiver.requests.count == 1)
        // The log forgot the firing alert: firing again is a new notification.
        await notifier.send([Self.alert("Quiet")])
        #expect(try await Self.settle(receiver, count: 2).count == 2)
        await notifier.shutdown()
        try await receiver.stop()
    }

    @Test func retriesServerErrorsWithBackoffButNotClientErrors() async throws {
        let receiver = try await TestReceiver()
        receiver.script([500, 503, 200])
        let notifier = try Notifier(config: Self.config(url: receiver.url), directory: Self.tempDir())
        await notifier.start()
        await notifier.send([Self.alert("Flaky")])
        let got = try await Self.settle(receiver, count: 3)
        #expect(got.count == 3)
        #expect(Set(got.map(\.text)).count == 1)
        #expect(Set(got.compactMap { $0.headers["idempotency-key"] }).count == 1)
        var m = notifier.metrics.receivers["oncall"]!
        #expect(m.sent == 1 && m.retried == 2 && m.failed == 0)

        receiver.script([400])
        await notifier.send([Self.alert("Rejected")])
        #expect(try await Self.settle(receiver, count: 4).count == 4)
        m = notifier.metrics.receivers["oncall"]!
        #expect(m.failed == 1 && m.sent == 1)
        #expect(notifier.metrics.outboxDepth == 0)

        receiver.script([429, 200])
        await notifier.send([Self.alert("Limited")])
        #expect(try await Self.settle(receiver, count: 6).count == 6)
        #expect(notifier.metrics.receivers["oncall"]!.sent == 2)
        await notifier.shutdown()
        try await receiver.stop()
    }

    @Test func sendsSecretsAndHeadersFromFiles() async throws {
        let receiver = try await TestReceiver()
        let dir = Self.tempDir()
        try "s3cr3t-token\n".write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        try (receiver.url + "?key=abc\n").write(toFile: dir + "/url", atomically: true, encoding: .utf8)
        let config = Self.config(url: receiver.url) { w in
            w.endpoint = HTTPEndpointConfig(urlFile: dir + "/url", headers: ["X-Team": "sre"], bearerTokenFile: dir + "/token")
        }
        #expect(!"\(config)".contains("s3cr3t"))
        let notifier = try Notifier(config: config, directory: dir + "/state")
        await notifier.start()
        await notifier.send([Self.alert("Auth")])
        let got = try await Self.settle(receiver, count: 1)
        #expect(got.first?.headers["authorization"] == "Bearer s3cr3t-token")
        #expect(got.first?.headers["x-team"] == "sre")
        #expect(got.first?.uri == "/hook?key=abc")
        await notifier.shutdown()
        try await receiver.stop()
    }

    @Test func maxAlertsTruncatesTheBody() async throws {
        let receiver = try await TestReceiver()
        let notifier = try Notifier(config: Self.config(url: receiver.url, maxAlerts: 2), directory: Self.tempDir())
        await notifier.start()
        await notifier.send((0..<5).map { Self.alert("Many", instance: "i\($0)") })
        let body = Self.json(try await Self.settle(receiver, count: 1)[0])
        #expect((body["alerts"] as? [Any])?.count == 2)
        #expect(body["truncatedAlerts"] as? Int == 3)
        await notifier.shutdown()
        try await receiver.stop()
    }
}
