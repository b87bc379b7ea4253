import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
@testable import KansokuCore
import Testing

@Suite struct ScanPoolTests {
    @Test func mapKeepsIndexOrderAndRunsEachIndexOnce() async throws {
        let squares = try await ScanPool.normal.map(1000) { $0 * $0 }
        #expect(squares == (0..<1000).map { $0 * $0 })
    }

    /// The threadless pool runs every index on the thread that called `map`, in order.
    @Test func callingThreadPoolRunsOnTheCaller() async throws {
        let threads = try await ScanPool.callingThread.map(50) { _ in pthread_self() }
        #expect(Set(threads.map { UInt($0) }).count == 1)
        #expect(try await ScanPool.callingThread.map(1000) { $0 * $0 } == (0..<1000).map { $0 * $0 })
        struct Stop: Error {}
        await #expect(throws: Stop.self) { _ = try await ScanPool.callingThread.map(10) { i in if i == 3 { throw Stop() }; return i } }
    }

    @Test func theFirstErrorStopsTheMap() async {
        struct Stop: Error {}
        await #expect(throws: Stop.self) {
            _ = try await ScanPool.normal.map(100) { i in
                if i == 3 { throw Stop() }
                return i
            }
        }
    }

    /// Users' queries run under `SCHED_IDLE`, so a woken push handler or rule evaluation
    /// preempts them at once; the server's own queries keep the normal policy.
    @Test func backgroundThreadsYieldToEverythingElse() async throws {
        let background = try await ScanPool.background.map(ScanPool.background.threads * 4) { _ in sched_getscheduler(0) }
        #expect(Set(background) == [ScanPool.schedIdle])
        let normal = try await ScanPool.normal.map(4) { _ in sched_getscheduler(0) }
        #expect(Set(normal) == [SCHED_OTHER])
    }

    /// Linux hands a thread's policy to the threads it creates, and a lowered thread that
    /// handed the resumed caller to an executor could make that executor start a worker that
    /// stays `SCHED_IDLE` for good. The caller's executor hears of every resumption from a
    /// thread at normal priority.
    @Test func resumptionsNeverComeFromALoweredThread() async throws {
        let executor = RecordingExecutor()
        try await withTaskExecutorPreference(executor) {
            for round in 0..<50 {
                let sums = try await ScanPool.background.map(4) { i in (0...(i + round)).reduce(0, +) }
                #expect(sums == (0..<4).map { i in (0...(i + round)).reduce(0, +) })
            }
        }
        let policies = executor.policies.withLock { $0 }
        #expect(policies.count >= 50)
        #expect(!policies.contains(ScanPool.schedIdle))
    }
}

/// Runs jobs on a queue of its own and notes the policy of each thread that hands it one.
private final class RecordingExecutor: TaskExecutor {
    let policies = Mutex<[Int32]>([])
    private let queue = DispatchQueue(label: "recording-executor")

    func enqueue(_ job: consuming ExecutorJob) {
        policies.withLock { $0.append(sched_getscheduler(0)) }
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
