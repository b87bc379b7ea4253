import Foundation
import KansokuCore
import Testing

@testable import KansokuNotify

@Suite struct RoutingTests {
    /// YAML is decoded by the server with Yams; JSON exercises the same Decodable code.
    static func decode(_ json: String) throws -> NotifyConfig {
        try JSONDecoder().decode(NotifyConfig.self, from: Data(json.utf8))
    }

    static let tree = """
        {"receivers": [
            {"name": "default", "webhook": {"url": "http://127.0.0.1:1/hook"}},
            {"name": "pager", "webhook": {"url_file": "/nonexistent", "max_alerts": 3, "send_resolved": false,
                                          "timeout": "10s", "bearer_token_file": "/t", "headers": {"X-A": "b"}}},
            {"name": "am", "alertmanager": {"url": "http://127.0.0.1:9093", "resend_interval": "30s"}}],
         "route": {"receiver": "default", "group_by": ["alertname", "service"], "group_wait": "1s",
                   "group_interval": "2m", "repeat_interval": "3h",
                   "routes": [
                     {"receiver": "pager", "matchers": ["severity=\\"page\\"", "team =~ a|b"], "continue": true,
                      "group_by": ["..."],
                      "routes": [{"matchers": ["env!=prod"], "group_wait": "0s"}]},
                     {"receiver": "am", "match": {"severity": "page"}},
                     {"receiver": "default", "match_re": {"severity": "ticket|info"}}]}}
        """

    @Test func decodesAlertmanagerShapedConfig() throws {
        let config = try Self.decode(Self.tree)
        #expect(config.receivers.count == 3)
        let pager = config.receivers[1].webhook!
        #expect(pager.maxAlerts == 3 && !pager.sendResolved)
        #expect(pager.endpoint.urlFile == "/nonexistent" && pager.endpoint.url == nil)
        #expect(pager.endpoint.timeout == PromDuration(milliseconds: 10_000))
        #expect(pager.endpoint.headers == ["X-A": "b"])
        #expect(config.receivers[2].alertmanager?.resendInterval == PromDuration(milliseconds: 30_000))
        #expect(config.route?.routes.first?.continue == true)
    }

    @Test func routesAsAlertmanagersTreeWithInheritanceAndKeys() throws {
        let config = try Self.decode(Self.tree)
        let root = try Route.compile(config.route!, receivers: ["default", "pager", "am"])
        #expect(root.key == "{}")
        let pagerRoute = root.children[0]
        #expect(pagerRoute.key == #"{}/{severity="page",team=~"a|b"}"#)
        #expect(pagerRoute.children[0].key == #"{}/{severity="page",team=~"a|b"}/{env!="prod"}"#)
        #expect(pagerRoute.children[0].receiver == "pager")
        #expect(pagerRoute.children[0].groupByAll)
        #expect(pagerRoute.children[0].groupWait == .zero)
        #expect(pagerRoute.children[0].groupInterval == .seconds(120))
        #expect(pagerRoute.repeatInterval == .seconds(3 * 3600))

        let page = Labels(["alertname": "Burn", "severity": "page", "team": "a", "env": "dev"])
        let matched = root.match(page)
        // The pager branch continues, so the next sibling also gets it; the third does not match.
        #expect(matched.map(\.receiver) == ["pager", "am"])
        #expect(matched[0].groupKey(groupLabels: matched[0].groupLabels(of: page))
            == #"{}/{severity="page",team=~"a|b"}/{env!="prod"}:{alertname="Burn", env="dev", severity="page", team="a"}"#)

        let prodPage = Labels(["alertname": "Burn", "severity": "page", "team": "b", "env": "prod"])
        #expect(root.match(prodPage).map(\.key) == [#"{}/{severity="page",team=~"a|b"}"#, #"{}/{severity="page"}"#])

        let ticket = Labels(["alertname": "Slow", "severity": "ticket", "service": "api", "pod": "p1"])
        let t = root.match(ticket)
        #expect(t.map(\.key) == [#"{}/{severity=~"ticket|info"}"#])
        #expect(t[0].groupKey(groupLabels: t[0].groupLabels(of: ticket)) == #"{}/{severity=~"ticket|info"}:{alertname="Slow", service="api"}"#)

        let other = Labels(["alertname": "X"])
        let o = root.match(other)
        #expect(o.map(\.key) == ["{}"])
        #expect(o[0].groupKey(groupLabels: o[0].groupLabels(of: other)) == #"{}:{alertname="X"}"#)
    }

    @Test func rejectsBrokenConfigs() throws {
        #expect(throws: NotifyConfigError.unknownReceiver("nope")) {
            try Route.compile(RouteConfig(receiver: "nope"), receivers: ["a"])
        }
        #expect(throws: NotifyConfigError.groupByAllMixed(["...", "x"])) {
            try Route.compile(RouteConfig(receiver: "a", groupBy: ["...", "x"]), receivers: ["a"])
        }
        #expect(throws: NotifyConfigError.rootRouteWithMatchers) {
            try Route.compile(RouteConfig(receiver: "a", matchers: ["a=b"]), receivers: ["a"])
        }
        #expect(throws: (any Error).self) { try Self.decode(#"{"receivers":[{"name":"x","webhook":{}}]}"#) }
        #expect(throws: (any Error).self) {
            try Self.decode(#"{"receivers":[{"name":"x","webhook":{"url":"http://a","url_file":"/f"}}]}"#)
        }
        #expect(throws: (any Error).self) {
            try Self.decode(#"{"receivers":[{"name":"x","webhook":{"url":"http://a"}}],"route":{"receiver":"x","group_wait":"soon"}}"#)
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kansoku-notify-cfg-\(UInt64.random(in: 0...UInt64.max))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: NotifyConfigError.duplicateReceiver("x")) {
            try Notifier(config: Self.decode(#"{"receivers":[{"name":"x","webhook":{"url":"http://a"}},{"name":"x","webhook":{"url":"http://b"}}]}"#), directory: dir)
        }
    }

    @Test func parsesMatcherStrings() throws {
        let m1 = try RouteMatcherParser.parse(#"severity="page""#)
        #expect(m1.name == "severity" && m1.type == .equal && m1.value == "page")
        let m2 = try RouteMatcherParser.parse(#" team =~ "a|b" "#)
        #expect(m2.type == .regexMatch && m2.matches("b") && !m2.matches("ab"))
        let m3 = try RouteMatcherParser.parse("env!=prod")
        #expect(m3.type == .notEqual && m3.value == "prod")
        let m4 = try RouteMatcherParser.parse(#"msg!~"x\"y""#)
        #expect(m4.type == .regexNoMatch && m4.value == #"x"y"#)
        #expect(throws: NotifyConfigError.self) { try RouteMatcherParser.parse("novalue") }
        #expect(throws: NotifyConfigError.self) { try RouteMatcherParser.parse(#"a="unterminated"#) }
        #expect(throws: NotifyConfigError.self) { try RouteMatcherParser.parse(#"a=~"(""#) }
    }
}

@Suite struct DedupTests {
    let fp1 = AlertFingerprint(1), fp2 = AlertFingerprint(2)
    let hour = Duration.seconds(3600)

    @Test func firstNotificationOnlyWhenSomethingFires() {
        #expect(NotificationLogEntry.needsUpdate(nil, firing: [fp1], resolved: [], sendResolved: true, repeatInterval: hour, now: 0))
        #expect(!NotificationLogEntry.needsUpdate(nil, firing: [], resolved: [fp1], sendResolved: true, repeatInterval: hour, now: 0))
    }

    @Test func newFiringResolvedAndRepeat() {
        let e = NotificationLogEntry(firing: [fp1], resolved: [], timestamp: 0)
        let later: UnixNanos = 60_000_000_000
        #expect(!NotificationLogEntry.needsUpdate(e, firing: [fp1], resolved: [], sendResolved: true, repeatInterval: hour, now: later))
        #expect(NotificationLogEntry.needsUpdate(e, firing: [fp1, fp2], resolved: [], sendResolved: true, repeatInterval: hour, now: later))
        // One of two resolved: only with send_resolved.
        let two = NotificationLogEntry(firing: [fp1, fp2], resolved: [], timestamp: 0)
        #expect(NotificationLogEntry.needsUpdate(two, firing: [fp1], resolved: [fp2], sendResolved: true, repeatInterval: hour, now: later))
        #expect(!NotificationLogEntry.needsUpdate(two, firing: [fp1], resolved: [fp2], sendResolved: false, repeatInterval: hour, now: later))
        // All resolved: always, so the log forgets them; but not if the receiver never heard of them.
        #expect(NotificationLogEntry.needsUpdate(e, firing: [], resolved: [fp1], sendResolved: false, repeatInterval: hour, now: later))
        let quiet = NotificationLogEntry(firing: [], resolved: [fp1], timestamp: 0)
        #expect(!NotificationLogEntry.needsUpdate(quiet, firing: [], resolved: [fp2], sendResolved: true, repeatInterval: hour, now: later))
        // Repeat interval elapsed.
        #expect(NotificationLogEntry.needsUpdate(e, firing: [fp1], resolved: [], sendResolved: true, repeatInterval: hour, now: hour.nanoseconds + 1))
    }
}

@Suite struct RetryPolicyTests {
    @Test func ceilingDoublesUpToTheMaximum() {
        let p = RetryPolicy(initial: .milliseconds(100), maximum: .seconds(1))
        #expect(p.ceiling(attempt: 0) == .milliseconds(100))
        #expect(p.ceiling(attempt: 1) == .milliseconds(200))
        #expect(p.ceiling(attempt: 3) == .milliseconds(800))
        #expect(p.ceiling(attempt: 4) == .seconds(1))
        #expect(p.ceiling(attempt: 100) == .seconds(1))
    }

    @Test func fullJitterStaysWithinBoundsAndHonoursRetryAfter() {
        let p = RetryPolicy(initial: .milliseconds(100), maximum: .seconds(10))
        var rng = SystemRandomNumberGenerator()
        var seen = Set<Duration>()
        for _ in 0..<200 {
            let d = p.delay(attempt: 2, using: &rng)
            #expect(d >= .zero && d <= .milliseconds(400))
            seen.insert(d)
        }
        #expect(seen.count > 10)
        #expect(p.delay(attempt: 0, floor: .seconds(3), using: &rng) >= .seconds(3))
        #expect(p.delay(attempt: 0, floor: .seconds(60), using: &rng) == .seconds(10))
    }
}
