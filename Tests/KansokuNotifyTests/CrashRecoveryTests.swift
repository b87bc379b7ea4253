import Foundation
import KansokuCore
import Testing

@testable import KansokuNotify

/// Restarts: a notifier is shut down without flushing anything (its state on disk is what a
/// kill -9 would leave) and a new one opens the same directory.
@Suite(.serialized) struct CrashRecoveryTests {
    typealias D = DeliveryTests

    /// The names in `dir` that end in `suffix` (none if the folder is missing).
    static func names(in dir: String, endingIn suffix: String) -> [String] {
        ((try? FileIO.listDirectory(dir)) ?? []).filter { $0.hasSuffix(suffix) }
    }

    /// Polls `condition` until it holds or `timeout` passes. Generous: on a loaded 2-core CI
    /// machine a timed-out delivery and its retry took longer than 10 s.
    static func waitUntil(_ timeout: Duration = .seconds(30), _ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test func outboxIsReplayedAfterACrashWhileTheReceiverIsDown() async throws {
        let receiver = try await TestReceiver()
        try await receiver.pause()
        let dir = D.tempDir()
        let config = D.config(url: receiver.url)

        let first = try Notifier(config: config, directory: dir)
        await first.start()
        await first.send([D.alert("Down", instance: "a"), D.alert("Down", instance: "b")])
        try await Self.waitUntil { first.metrics.outboxDepth == 1 && (first.metrics.receivers["oncall"]?.retried ?? 0) > 0 }
        #expect(first.metrics.outboxDepth == 1)
        await first.shutdown()
        #expect(CrashRecoveryTests.names(in: dir + "/outbox", endingIn: ".json").count == 1)

        try await receiver.resume()
        let second = try Notifier(config: config, directory: dir)
        await second.start()
        // The same alerts come again from the rule engine: no second notification.
        await second.send([D.alert("Down", instance: "a"), D.alert("Down", instance: "b")])
        let got = try await D.settle(receiver, count: 1, quiet: .milliseconds(800))
        #expect(got.count == 1)
        #expect((D.json(got[0])["alerts"] as? [Any])?.count == 2)
        #expect(CrashRecoveryTests.names(in: dir + "/outbox", endingIn: ".json").isEmpty)

        // Resolution after the restart is announced once.
        await second.send([D.alert("Down", instance: "a", status: .resolved), D.alert("Down", instance: "b", status: .resolved)])
        let after = try await D.settle(receiver, count: 2)
        #expect(after.count == 2)
        #expect(D.json(after[1])["status"] as? String == "resolved")
        await second.shutdown()
        try await receiver.stop()
    }

    @Test func restartDoesNotRepeatAndKeepsAPendingResolvedNotice() async throws {
        let receiver = try await TestReceiver()
        let dir = D.tempDir()
        // A long group_interval: the resolved alert is still waiting for its flush at the crash.
        let config = D.config(url: receiver.url, groupWait: 50, groupInterval: 5_000)
        let first = try Notifier(config: config, directory: dir)
        await first.start()
        let firing = D.alert("Persist")
        await first.send([firing])
        _ = try await D.settle(receiver, count: 1, quiet: .milliseconds(100))
        var resolved = firing
        resolved.status = .resolved
        resolved.endsAt = TimeParser.currentNanos()
        await first.send([resolved])
        await first.shutdown()  // "crash" before the group_interval flush
        #expect(receiver.requests.count == 1)

        // The rule engine forgot the alert (no re-send); the group state remembers it.
        let second = try Notifier(config: config, directory: dir)
        await second.start()
        let got = try await D.settle(receiver, count: 2, quiet: .milliseconds(300))
        #expect(got.count == 2)
        #expect(D.json(got[1])["status"] as? String == "resolved")
        await second.shutdown()

        // A third start has nothing left to say.
        let third = try Notifier(config: config, directory: dir)
        await third.start()
        try await Task.sleep(for: .milliseconds(500))
        #expect(receiver.requests.count == 2)
        await third.shutdown()
        try await receiver.stop()
    }

    @Test func crashBetweenOutboxWriteAndGroupSaveDoesNotDuplicate() async throws {
        let receiver = try await TestReceiver()
        try await receiver.pause()
        let dir = D.tempDir()
        let config = D.config(url: receiver.url, groupWait: 1_000)
        let first = try Notifier(config: config, directory: dir)
        await first.start()
        await first.send([D.alert("Window")])
        // The group as saved before its first flush (alerts, no notification-log entry).
        let groupFiles = CrashRecoveryTests.names(in: dir + "/groups", endingIn: ".json")
        #expect(groupFiles.count == 1)
        let before = try Data(contentsOf: URL(fileURLWithPath: dir + "/groups/" + groupFiles[0]))
        try await Self.waitUntil { first.metrics.outboxDepth == 1 }
        await first.shutdown()
        // Put the old group file back: as if the process died right after the outbox fsync.
        try before.write(to: URL(fileURLWithPath: dir + "/groups/" + groupFiles[0]))

        try await receiver.resume()
        let second = try Notifier(config: config, directory: dir)
        await second.start()
        await second.send([D.alert("Window")])
        let got = try await D.settle(receiver, count: 1, quiet: .milliseconds(800))
        #expect(got.count == 1)
        await second.shutdown()
        try await receiver.stop()
    }

    @Test func tornTemporaryFilesAreIgnored() async throws {
        let dir = D.tempDir()
        let config = D.config(url: "http://127.0.0.1:1/hook")
        let n = try Notifier(config: config, directory: dir)
        await n.shutdown()
        try Data("{garbage".utf8).write(to: URL(fileURLWithPath: dir + "/outbox/x.json.tmp"))
        try Data("{garbage".utf8).write(to: URL(fileURLWithPath: dir + "/outbox/bad.json"))
        let again = try Notifier(config: config, directory: dir)
        await again.start()
        #expect(again.metrics.outboxDepth == 0)
        #expect(!FileManager.default.fileExists(atPath: dir + "/outbox/x.json.tmp"))
        await again.shutdown()
    }
}

/// Posting to an Alertmanager-compatible `/api/v2/alerts` (a real Alertmanager is used in
/// the end-to-end tests).
@Suite(.serialized) struct AlertmanagerClientTests {
    @Test func postsChangesAndResendsFiringAlerts() async throws {
        let receiver = try await TestReceiver()
        let config = NotifyConfig(
            receivers: [
                ReceiverConfig(
                    name: "am",
                    alertmanager: AlertmanagerConfig(
                        endpoint: HTTPEndpointConfig(url: receiver.baseURL + "/"), resendInterval: PromDuration(milliseconds: 200)))
            ],
            route: RouteConfig(receiver: "am", groupBy: ["alertname"]))
        let notifier = try Notifier(config: config, directory: DeliveryTests.tempDir())
        await notifier.start()
        await notifier.send([DeliveryTests.alert("ToAM")])
        let first = try await receiver.waitFor(count: 1)
        #expect(first[0].uri == "/api/v2/alerts")
        let posted = try JSONSerialization.jsonObject(with: Data(first[0].body)) as! [[String: Any]]
        #expect(posted.count == 1)
        #expect((posted[0]["labels"] as? [String: String])?["alertname"] == "ToAM")
        #expect(posted[0]["status"] == nil)
        // Still firing: re-posted after the resend interval.
        #expect(try await receiver.waitFor(count: 2, timeout: .seconds(5)).count >= 2)
        await notifier.send([DeliveryTests.alert("ToAM", status: .resolved)])
        let deadline = ContinuousClock.now + .seconds(5)
        var sawResolved = false
        while !sawResolved && ContinuousClock.now < deadline {
            for r in receiver.requests {
                let a = (try? JSONSerialization.jsonObject(with: Data(r.body)) as? [[String: Any]]) ?? []
                if let ends = a.first?["endsAt"] as? String,
                    let t = TimeParser.parseRFC3339(ends), t <= TimeParser.currentNanos()
                {
                    sawResolved = true
                }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(sawResolved)
        await notifier.shutdown()
        try await receiver.stop()
    }
}
