// Needs KansokuNotify and swift-nio's NIOCore/NIOPosix/NIOHTTP1 as dependencies of this test target.
#if canImport(KansokuNotify) && canImport(NIOHTTP1)
import Foundation
import KansokuCore
import KansokuNotify
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
import KansokuTestSupport
#endif

/// Notification delivery end to end: against a real Alertmanager, and through the real
/// `kansoku` binary killed with SIGKILL during a receiver outage.
@Suite(.serialized) struct NotifyEndToEndTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func tempDir(_ name: String) -> String {
        ScratchDirectory.make("kansoku-e2e-\(name)")
    }

    /// The binary under test: `KANSOKU_BIN`, or `.build/debug/kansoku` of this checkout.
    static var kansokuBinary: String { TestPaths.binaryPath.path }

    // MARK: (b) A real Alertmanager

    /// Our client posts alerts to Alertmanager's API v2; Alertmanager lists them, groups them
    /// and sends its own webhook to a receiver of ours, whose body has exactly the fields and
    /// the group key and fingerprints our webhook sender produces.
    @Test(.requires(.alertmanager))
    func realAlertmanagerAcceptsOurAlertsAndAgreesOnTheWebhookFormat() async throws {
        let binary = try #require(TestPaths.which("prometheus-alertmanager"))
        let hook = try await LoopbackReceiver()
        let dir = Self.tempDir("am")
        let amPort = freeLoopbackPort()
        let amConfig = """
            route:
              receiver: hook
              group_by: [alertname]
              group_wait: 200ms
              group_interval: 1s
              repeat_interval: 1h
              routes:
                - matchers: ['severity="page"']
                  receiver: hook
            receivers:
              - name: hook
                webhook_configs:
                  - url: \(hook.url)
            """
        try amConfig.write(toFile: dir + "/alertmanager.yml", atomically: true, encoding: .utf8)
        let am = Process()
        am.executableURL = URL(fileURLWithPath: binary)
        am.arguments = [
            "--config.file=\(dir)/alertmanager.yml", "--storage.path=\(dir)/data",
            "--web.listen-address=127.0.0.1:\(amPort)", "--cluster.listen-address=",
        ]
        am.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        let log = FileManager.default.createFile(atPath: dir + "/am.log", contents: nil) ? FileHandle(forWritingAtPath: dir + "/am.log") : nil
        am.standardError = log
        try am.run()
        let pid = am.processIdentifier
        defer {
            kill(pid, SIGTERM)
            am.waitUntilExit()
        }
        let amURL = "http://127.0.0.1:\(amPort)"
        #expect(try await waitForHTTP(amURL + "/-/ready", timeout: .seconds(20)), "Alertmanager did not become ready")

        let config = NotifyConfig(
            receivers: [ReceiverConfig(name: "am", alertmanager: AlertmanagerConfig(endpoint: HTTPEndpointConfig(url: amURL)))],
            route: RouteConfig(receiver: "am"))
        let notifier = try Notifier(config: config, directory: dir + "/notify")
        await notifier.start()
        let now = TimeParser.currentNanos()
        let alert = NotifyAlert(
            labels: Labels(["alertname": "SLOBurn", "severity": "page", "service": "api"]),
            annotations: ["summary": "error budget burning 14.4x"], startsAt: now,
            generatorURL: "http://127.0.0.1:3100/graph")
        await notifier.send([alert])

        // Alertmanager's API shows the alert.
        var listed: [[String: Any]] = []
        let deadline = ContinuousClock.now + .seconds(15)
        while listed.isEmpty && ContinuousClock.now < deadline {
            if let data = try? await httpGet(amURL + "/api/v2/alerts"),
                let all = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
            {
                listed = all.filter { ($0["labels"] as? [String: String])?["alertname"] == "SLOBurn" }
            }
            if listed.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(listed.count == 1)
        #expect((listed.first?["labels"] as? [String: String]) == ["alertname": "SLOBurn", "severity": "page", "service": "api"])
        #expect((listed.first?["status"] as? [String: Any])?["state"] as? String == "active")
        #expect(listed.first?["fingerprint"] as? String == alert.fingerprint.description)

        // Alertmanager's own webhook: same keys, same group key and fingerprint as ours.
        let received = try await hook.waitFor(count: 1, timeout: .seconds(15))
        #expect(received.count >= 1)
        guard let amBody = received.first.flatMap({ try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any] })
        else { Issue.record("no webhook from Alertmanager"); return }
        let ourRoute = try Route.compile(
            RouteConfig(receiver: "hook", groupBy: ["alertname"], routes: [RouteConfig(matchers: [#"severity="page""#])]),
            receivers: ["hook"])
        let matched = ourRoute.match(alert.labels)[0]
        let ourKey = matched.groupKey(groupLabels: matched.groupLabels(of: alert.labels))
        print("alertmanager \(amVersion(binary)) webhook: groupKey \(amBody["groupKey"] ?? "-"), ours \(ourKey)")
        #expect(amBody["groupKey"] as? String == ourKey)
        let ours = WebhookMessage.encode(
            receiver: "hook", groupKey: ourKey, groupLabels: matched.groupLabels(of: alert.labels), alerts: [alert],
            externalURL: amBody["externalURL"] as? String ?? "", maxAlerts: 0, now: now)
        let ourBody = try JSONSerialization.jsonObject(with: Data(ours)) as! [String: Any]
        // Newer Alertmanagers add keys receivers must ignore; every key of this one is ours.
        #expect(Set(amBody.keys).subtracting(["notification_reason", "routeLabels"]) == Set(ourBody.keys))
        let amAlert = (amBody["alerts"] as? [[String: Any]])?.first ?? [:]
        let ourAlert = (ourBody["alerts"] as? [[String: Any]])?.first ?? [:]
        #expect(Set(amAlert.keys) == Set(ourAlert.keys))
        #expect(amAlert["fingerprint"] as? String == ourAlert["fingerprint"] as? String)
        #expect(amAlert["endsAt"] as? String == "0001-01-01T00:00:00Z")
        #expect(amBody["version"] as? String == "4")
        for key in ["receiver", "status", "groupLabels", "commonLabels", "commonAnnotations", "truncatedAlerts"] {
            #expect(canonicalJSON(amBody[key]) == canonicalJSON(ourBody[key]), "\(key) differs")
        }
        await notifier.shutdown()
        try await hook.stop()
    }

    // MARK: The binary: rule engine to webhook and Alertmanager

    /// `kansoku server` evaluates an alert that fires and then resolves; the route sends it
    /// to a webhook receiver and (with `continue`) to a real Alertmanager. The webhook gets
    /// exactly one firing and one resolved notification for the group; Alertmanager's API
    /// lists the alert while it fires.
    @Test(.requires(TestPaths.kansoku, .alertmanager))
    func binaryNotifiesWebhookOnceEachAndRealAlertmanagerListsTheAlert() async throws {
        let binary = Self.kansokuBinary
        let amBinary = try #require(TestPaths.which("prometheus-alertmanager"))
        let hook = try await LoopbackReceiver()
        let dir = Self.tempDir("binary")
        let amPort = freeLoopbackPort(), port = freeLoopbackPort()
        try """
            route: { receiver: sink, group_by: [alertname], group_wait: 100ms, group_interval: 1s }
            receivers: [ { name: sink } ]
            """.write(toFile: dir + "/alertmanager.yml", atomically: true, encoding: .utf8)
        let am = Process()
        am.executableURL = URL(fileURLWithPath: amBinary)
        am.arguments = [
            "--config.file=\(dir)/alertmanager.yml", "--storage.path=\(dir)/am",
            "--web.listen-address=127.0.0.1:\(amPort)", "--cluster.listen-address=",
        ]
        am.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        am.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try am.run()
        let amPID = am.processIdentifier
        defer {
            kill(amPID, SIGTERM)
            am.waitUntilExit()
        }
        let amURL = "http://127.0.0.1:\(amPort)"
        #expect(try await waitForHTTP(amURL + "/-/ready", timeout: .seconds(20)), "Alertmanager did not become ready")

        let firingFor = 20.0
        let ends = Int(Date().timeIntervalSince1970 + firingFor)
        try """
            groups:
              - name: e2e
                interval: 1s
                rules:
                  - alert: Step
                    expr: vector(time()) < \(ends)
                    labels: { severity: page }
                    annotations: { summary: "error ratio stepped up" }
            """.write(toFile: dir + "/rules.yaml", atomically: true, encoding: .utf8)
        try """
            storage: { path: \(dir)/data }
            rules: { files: ["\(dir)/rules.yaml"], interval: 1s }
            notify:
              receivers:
                - { name: oncall, webhook: { url: "\(hook.url)" } }
                - { name: am, alertmanager: { url: "\(amURL)", resend_interval: 5s } }
              route:
                receiver: oncall
                group_by: [alertname]
                group_wait: 1s
                group_interval: 2s
                repeat_interval: 24h
                routes:
                  - { receiver: am, matchers: ['severity="page"'], continue: true }
                  - { receiver: oncall, matchers: ['severity="page"'] }
            """.write(toFile: dir + "/kansoku.yaml", atomically: true, encoding: .utf8)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: binary)
        server.arguments = ["server", "--config", dir + "/kansoku.yaml", "--listen", "127.0.0.1:\(port)"]
        server.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        server.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try server.run()
        let serverPID = server.processIdentifier
        defer {
            kill(serverPID, SIGTERM)
            server.waitUntilExit()
        }

        // While it fires, Alertmanager lists it as active.
        var active = false
        let activeDeadline = ContinuousClock.now + .seconds(firingFor)
        while !active && ContinuousClock.now < activeDeadline {
            if let data = try? await httpGet(amURL + "/api/v2/alerts"),
                let all = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
            {
                active = all.contains {
                    ($0["labels"] as? [String: String])?["alertname"] == "Step"
                        && ($0["status"] as? [String: Any])?["state"] as? String == "active"
                }
            }
            if !active { try await Task.sleep(for: .milliseconds(250)) }
        }
        #expect(active, "Alertmanager never listed the alert as active")

        // The webhook: one firing, then one resolved, for the one group.
        let key = #"{}/{severity="page"}:{alertname="Step"}"#
        let deadline = ContinuousClock.now + .seconds(firingFor + 30)
        func statuses() -> [String] {
            hook.requests.compactMap { r in
                guard let b = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
                    b["groupKey"] as? String == key
                else { return nil }
                return b["status"] as? String
            }
        }
        while !statuses().contains("resolved") && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
        }
        try await Task.sleep(for: .seconds(4))  // two more group intervals: nothing else may arrive
        print("binary notification test: webhook statuses \(statuses()) of \(hook.requests.count) requests")
        #expect(statuses() == ["firing", "resolved"])
        #expect(hook.requests.count == 2)
        try await hook.stop()
    }

    // MARK: (a) Outage and kill -9 of the real binary

    /// The receiver is down for the outage (120 s by default; `KANSOKU_E2E_OUTAGE_SECONDS`
    /// shortens it) and `kansoku server` is killed with SIGKILL once in the middle. Afterwards
    /// every notification has arrived and none twice per group key and status.
    @Test(.requires(TestPaths.kansoku))
    func outageAndKillNineLoseNothingAndDuplicateNothing() async throws {
        let binary = Self.kansokuBinary
        let outage = Double(ProcessInfo.processInfo.environment["KANSOKU_E2E_OUTAGE_SECONDS"] ?? "") ?? 120
        let hook = try await LoopbackReceiver()
        try await hook.pause()
        let dir = Self.tempDir("outage")
        let port = freeLoopbackPort()
        let start = Date().timeIntervalSince1970
        // `Flip` fires from the start and resolves halfway through the outage, after the kill.
        let flipEnds = Int(start + outage / 2)
        let rules = """
            groups:
              - name: e2e
                interval: 1s
                rules:
                  - alert: AlwaysOn
                    expr: vector(1)
                    labels: { severity: page }
                    annotations: { summary: "always on" }
                  - alert: Flip
                    expr: vector(time()) < \(flipEnds)
                    labels: { severity: page }
            """
        try rules.write(toFile: dir + "/rules.yaml", atomically: true, encoding: .utf8)
        let config = """
            server: { listen: 127.0.0.1:\(port) }
            storage: { path: \(dir)/data }
            rules: { files: ["\(dir)/rules.yaml"], interval: 1s }
            notify:
              receivers:
                - { name: oncall, webhook: { url: "\(hook.url)" } }
              route: { receiver: oncall, group_by: [alertname], group_wait: 1s, group_interval: 2s, repeat_interval: 24h }
              delivery: { initial_backoff: 200ms, max_backoff: 2s }
            """
        try config.write(toFile: dir + "/kansoku.yaml", atomically: true, encoding: .utf8)

        func launch() throws -> Process {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = ["server", "--config", dir + "/kansoku.yaml", "--data-dir", dir + "/data", "--listen", "127.0.0.1:\(port)"]
            p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            p.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try p.run()
            return p
        }
        var server = try launch()
        defer {
            kill(server.processIdentifier, SIGTERM)
            server.waitUntilExit()
        }
        try await Task.sleep(for: .seconds(outage / 4))
        print("outage test: kill -9 of pid \(server.processIdentifier) at +\(Int(Date().timeIntervalSince1970 - start))s")
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        server = try launch()
        let resumeAt = start + outage
        try await Task.sleep(for: .seconds(max(0, resumeAt - Date().timeIntervalSince1970)))
        try await hook.resume()
        print("outage test: receiver up at +\(Int(Date().timeIntervalSince1970 - start))s")

        // Expect AlwaysOn firing, Flip firing and Flip resolved.
        let deadline = ContinuousClock.now + .seconds(60)
        var notices: [(key: String, status: String)] = []
        while ContinuousClock.now < deadline {
            notices = hook.requests.compactMap { r in
                guard let b = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
                    let key = b["groupKey"] as? String, let status = b["status"] as? String
                else { return nil }
                return (key, status)
            }
            if notices.count >= 3 { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        try await Task.sleep(for: .seconds(5))  // anything extra would show up now
        notices = hook.requests.compactMap { r in
            guard let b = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
                let key = b["groupKey"] as? String, let status = b["status"] as? String
            else { return nil }
            return (key, status)
        }
        var counts: [String: Int] = [:]
        for n in notices { counts["\(n.key) \(n.status)", default: 0] += 1 }
        print("outage test: received \(counts.sorted { $0.key < $1.key })")
        #expect(counts[#"{}:{alertname="AlwaysOn"} firing"#] == 1)
        #expect(counts[#"{}:{alertname="Flip"} firing"#] == 1)
        #expect(counts[#"{}:{alertname="Flip"} resolved"#] == 1)
        #expect(counts.values.allSatisfy { $0 == 1 }, "a notification arrived twice: \(counts)")
        try await hook.stop()
    }
}

// MARK: Helpers

/// A JSON value's text with sorted keys, for comparing decoded objects.
private func canonicalJSON(_ value: Any?) -> String {
    guard let value,
        let data = try? JSONSerialization.data(withJSONObject: ["v": value], options: [.sortedKeys, .fragmentsAllowed])
    else { return "nil" }
    return String(decoding: data, as: UTF8.self)
}

private func amVersion(_ binary: String) -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = ["--version"]
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    guard (try? p.run()) != nil else { return "?" }
    p.waitUntilExit()
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return text.split(separator: "\n").first.map(String.init) ?? "?"
}

private func httpGet(_ url: String) async throws -> Data {
    let (data, _) = try await URLSession.shared.data(from: URL(string: url)!)
    return data
}

private func waitForHTTP(_ url: String, timeout: Duration) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await httpGet(url)) != nil { return true }
        try await Task.sleep(for: .milliseconds(100))
    }
    return false
}

/// A webhook receiver on loopback that records requests and can be taken down and up.
private final class LoopbackReceiver: Sendable {
    struct Request: Sendable {
        var uri: String
        var body: [UInt8]
    }
    private let state = Mutex<(requests: [Request], channel: (any Channel)?, port: Int)>(([], nil, 0))
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    init() async throws { try await bind(port: 0) }

    private func bind(port: Int) async throws {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(owner: self))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        state.withLock { $0.channel = channel; $0.port = channel.localAddress!.port! }
    }

    var url: String { "http://127.0.0.1:\(state.withLock { $0.port })/hook" }
    var requests: [Request] { state.withLock { $0.requests } }

    func pause() async throws {
        let channel = state.withLock { s -> (any Channel)? in defer { s.channel = nil }; return s.channel }
        try await channel?.close()
    }

    func resume() async throws { try await bind(port: state.withLock { $0.port }) }

    func stop() async throws {
        try? await pause()
        try await group.shutdownGracefully()
    }

    func waitFor(count: Int, timeout: Duration) async throws -> [Request] {
        let deadline = ContinuousClock.now + timeout
        while requests.count < count && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return requests
    }

    fileprivate func record(_ r: Request) { state.withLock { $0.requests.append(r) } }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let owner: LoopbackReceiver
        var uri = ""
        var body: [UInt8] = []
        init(owner: LoopbackReceiver) { self.owner = owner }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case let .head(h): uri = h.uri; body = []
            case var .body(b): body += b.readBytes(length: b.readableBytes) ?? []
            case .end:
                owner.record(Request(uri: uri, body: body))
                var headers = HTTPHeaders()
                headers.add(name: "Content-Length", value: "0")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}

#endif
