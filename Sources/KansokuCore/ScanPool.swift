import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Threads that run query scans below the scheduling priority of everything else.
///
/// A heavy query decompresses and filters blocks on every core for seconds. Run on the
/// cooperative pool, it competes as an equal with push handlers, the WAL writer and rule
/// evaluation, so four such queries make every push wait. Its block work runs here instead,
/// on one thread per core under Linux's `SCHED_IDLE` policy: idle cores still go to
/// queries, but a push handler or rule evaluation that wakes up takes the core at once.
/// (A nice-10 thread is not enough: the scheduler lets it finish its time slice, about a
/// millisecond and a half, before a woken normal thread runs, and a rule evaluation wakes
/// threads several times.) Where `SCHED_IDLE` is refused, the threads run at nice 10.
/// Queries take turns in arrival order, a runner of each at a time. The threads start on
/// first use.
public final class ScanPool: TaskExecutor, Sendable {
    /// The pool users' queries share (API, dashboard), one thread per core, below normal
    /// priority.
    public static let background = ScanPool(threads: cores, lowered: true)

    /// The pool of the server's own queries (rule and SLO evaluation), at normal priority: a
    /// burst of dashboard queries must not delay paging.
    public static let normal = ScanPool(threads: cores, lowered: false)

    /// The pool scans of the current task use: `normal` unless a caller chose otherwise.
    @TaskLocal public static var current: ScanPool = .normal

    /// How much lower than normal the background pool's threads run where `SCHED_IDLE` is
    /// refused.
    public static let niceness: Int32 = 10

    /// `SCHED_IDLE` from <sched.h>, which Glibc declares only with `_GNU_SOURCE`.
    static let schedIdle: Int32 = 5

    static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// Pending work in arrival order; a taken slot is cleared at once, so a finished job's
    /// captures (a query's partial results) are released, not kept until the array is trimmed.
    private struct Queue {
        var jobs: [(@Sendable () -> Void)?] = []
        var head = 0
    }

    private let queue = Mutex(Queue())
    private let ready = DispatchSemaphore(value: 0)
    public let threads: Int

    init(threads: Int, lowered: Bool) {
        self.threads = threads
        for _ in 0..<threads {
            let t = Thread { [self] in
                if lowered { ScanPool.lowerCurrentThreadPriority() }
                while true {
                    ready.wait()
                    let job = queue.withLock { q -> (@Sendable () -> Void)? in
                        guard q.head < q.jobs.count else { return nil }
                        let j = q.jobs[q.head]
                        q.jobs[q.head] = nil
                        q.head += 1
                        if q.head > 1024 && q.head * 2 > q.jobs.count {
                            q.jobs.removeFirst(q.head)
                            q.head = 0
                        }
                        return j
                    }
                    job?()
                }
            }
            t.start()
        }
    }

    /// Puts the calling thread under `SCHED_IDLE`, or else at `niceness`; a no-op where both
    /// are refused. Linux keeps both per thread, and pid 0 is the calling thread.
    public static func lowerCurrentThreadPriority() {
        #if os(Linux)
        var param = sched_param(sched_priority: 0)
        if sched_setscheduler(0, schedIdle, &param) != 0 {
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
        }
        #endif
    }

    /// Runs tasks that prefer this executor (`withTaskExecutorPreference`) on the pool's
    /// threads: a user's whole query, not only its block scans, then runs at the pool's
    /// priority.
    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        submit { unowned.runSynchronously(on: executor) }
    }

    private func submit(_ job: @escaping @Sendable () -> Void) {
        queue.withLock { $0.jobs.append(job) }
        ready.signal()
    }

    /// Runs `body(0..<count)` on the pool, each index once, and returns the results in index
    /// order. At most `threads` indexes of this call run at once. The first error stops the
    /// rest (indexes not yet started are skipped) and is thrown; so is cancellation of the
    /// calling task, checked before each index.
    public func map<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) async throws -> [T] {
        if count == 0 { return [] }
        let run = MapRun<T>(count: count)
        let runners = min(threads, count)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<[T], any Error>) in
                run.continuation.withLock { $0 = c }
                for _ in 0..<runners {
                    submit {
                        while let i = run.claim() {
                            do { run.store(i, try body(i)) } catch { run.fail(error) }
                        }
                        run.runnerFinished(runners: runners)
                    }
                }
            }
        } onCancel: {
            run.fail(CancellationError())
        }
    }
}

/// The shared state of one `map` call: which index is next, the results, the first error.
private final class MapRun<T: Sendable>: @unchecked Sendable {
    let count: Int
    private let next = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let error = Mutex<(any Error)?>(nil)
    let continuation = Mutex<CheckedContinuation<[T], any Error>?>(nil)
    // Each slot is written by exactly one runner and read after all runners finished.
    private let results: UnsafeMutablePointer<T?>

    init(count: Int) {
        self.count = count
        results = .allocate(capacity: count)
        results.initialize(repeating: nil, count: count)
    }

    deinit {
        results.deinitialize(count: count)
        results.deallocate()
    }

    func claim() -> Int? {
        if error.withLock({ $0 != nil }) { return nil }
        let i = next.add(1, ordering: .relaxed).oldValue
        return i < count ? i : nil
    }

    func store(_ i: Int, _ value: T) { results[i] = value }

    func fail(_ e: any Error) { error.withLock { if $0 == nil { $0 = e } } }

    func runnerFinished(runners: Int) {
        guard finished.add(1, ordering: .acquiringAndReleasing).newValue == runners else { return }
        let c = continuation.withLock { c -> CheckedContinuation<[T], any Error>? in
            defer { c = nil }
            return c
        }
        if let e = error.withLock({ $0 }) {
            c?.resume(throwing: e)
        } else {
            c?.resume(returning: (0..<count).map { results[$0]! })
        }
    }
}
