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
}
