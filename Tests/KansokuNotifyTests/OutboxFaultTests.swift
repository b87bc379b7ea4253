import Foundation
import KansokuCore
import Testing

@testable import KansokuNotify

#if canImport(Glibc)
import Glibc
#endif

/// A full or failing disk under the outbox: a notification counts as accepted only once its
/// record is durable; a refused write is reported (log, `outboxWriteFailures`), leaves nothing
/// on disk, and the notification is produced again when the disk works — delivered once.
@Suite(.serialized) struct OutboxFaultTests {
    typealias D = DeliveryTests

    func outboxFiles(_ dir: String) -> (records: Int, temporaries: Int) {
        (CrashRecoveryTests.names(in: dir + "/outbox", endingIn: ".json").count, CrashRecoveryTests.names(in: dir + "/outbox", endingIn: ".tmp").count)
    }

    @Test func refusedOutboxWriteIsReportedAndTheNotificationRetried() async throws {
        for (kind, errno) in [("fsync", EIO), ("write", ENOSPC)] {
            let receiver = try await TestReceiver()
            let dir = D.tempDir()
            let faults = DiskFaults()
            if kind == "fsync" { faults.failSyncs(errno: errno) } else { faults.failWrites(errno: errno) }
            // A long group_interval: the retry comes from the outbox backoff, not the next interval.
            let notifier = try Notifier(config: D.config(url: receiver.url, groupWait: 50, groupInterval: 5_000),
                                        directory: dir, outboxFaults: faults)
            await notifier.start()
            await notifier.send([D.alert("DiskFull", instance: "a"), D.alert("DiskFull", instance: "b")])
            // Retries back off (doubling, up to group_interval): a loaded machine needs a while for three.
            try await CrashRecoveryTests.waitUntil(.seconds(40)) { notifier.metrics.outboxWriteFailures >= 3 }
            let refused = notifier.metrics.outboxWriteFailures
            #expect(refused >= 3)
            // Refused means not accepted: nothing on disk, nothing queued, nothing sent.
            #expect(outboxFiles(dir).records == 0 && outboxFiles(dir).temporaries == 0)
            #expect(notifier.metrics.outboxDepth == 0)
            #expect(receiver.requests.isEmpty)
            #expect(notifier.metrics.prometheusText.contains("kansoku_notify_outbox_write_failures_total \(refused)"))

            faults.failSyncs(errno: nil)
            faults.failWrites(errno: nil)
            let got = try await D.settle(receiver, count: 1, quiet: .milliseconds(500))
            #expect(got.count == 1)
            #expect((D.json(got[0])["alerts"] as? [Any])?.count == 2)
            #expect(D.json(got[0])["status"] as? String == "firing")
            try await CrashRecoveryTests.waitUntil { outboxFiles(dir).records == 0 }
            #expect(outboxFiles(dir).records == 0)
            let failures = notifier.metrics.outboxWriteFailures
            print("OUTBOX FAULTS (\(kind) \(kind == "fsync" ? "EIO" : "ENOSPC")): \(failures) outbox writes refused, "
                  + "1 notification accepted, \(got.count) delivered, 0 lost, \(got.count - 1) duplicated")
            await notifier.shutdown()
            try await receiver.stop()
        }
    }

    @Test func crashWhileTheOutboxFailsLosesNothing() async throws {
        let receiver = try await TestReceiver()
        let dir = D.tempDir()
        let faults = DiskFaults()
        faults.failWrites(errno: ENOSPC)
        let config = D.config(url: receiver.url, groupWait: 50, groupInterval: 5_000)
        let first = try Notifier(config: config, directory: dir, outboxFaults: faults)
        await first.start()
        await first.send([D.alert("Crash")])
        try await CrashRecoveryTests.waitUntil { first.metrics.outboxWriteFailures >= 2 }
        let refused = first.metrics.outboxWriteFailures
        await first.shutdown()  // kill: nothing flushed
        #expect(outboxFiles(dir).records == 0 && outboxFiles(dir).temporaries == 0)
        #expect(receiver.requests.isEmpty)

        // The disk works again after the restart: the group (saved when the alert came in)
        // flushes and the notification goes out once.
        let second = try Notifier(config: config, directory: dir)
        await second.start()
        let got = try await D.settle(receiver, count: 1, quiet: .milliseconds(800))
        #expect(got.count == 1)
        #expect(second.metrics.outboxWriteFailures == 0)
        print("OUTBOX FAULTS (kill while writes fail): \(refused) outbox writes refused before the kill, "
              + "\(got.count) delivered after the restart, 0 lost, \(got.count - 1) duplicated")
        await second.shutdown()
        try await receiver.stop()
    }

    @Test func tornOutboxRecordKeepsTheRecordsBeforeIt() async throws {
        let receiver = try await TestReceiver()
        try await receiver.pause()
        let dir = D.tempDir()
        let config = D.config(url: receiver.url, groupWait: 50, groupInterval: 60_000)
        let first = try Notifier(config: config, directory: dir)
        await first.start()
        for name in ["First", "Second", "Third"] {
            await first.send([D.alert(name)])
            try await CrashRecoveryTests.waitUntil { outboxFiles(dir).records == ["First", "Second", "Third"].firstIndex(of: name)! + 1 }
        }
        await first.shutdown()
        let names = CrashRecoveryTests.names(in: dir + "/outbox", endingIn: ".json")
        #expect(names.count == 3)
        // Tear the newest record in half (a disk that lost part of it).
        let newest = dir + "/outbox/" + names.last!
        let bytes = try Data(contentsOf: URL(fileURLWithPath: newest))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: newest))

        try await receiver.resume()
        let second = try Notifier(config: config, directory: dir)
        await second.start()
        let got = try await D.settle(receiver, count: 2, quiet: .milliseconds(800))
        let alertnames = got.compactMap { ((D.json($0)["commonLabels"] as? [String: String]) ?? [:])["alertname"] }
        #expect(alertnames.sorted() == ["First", "Second"])
        print("OUTBOX FAULTS (torn newest record): 3 records on disk, 1 torn, \(got.count) earlier records delivered after restart")
        await second.shutdown()
        try await receiver.stop()
    }
}
