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
///
/// A lowered thread runs nothing but the scan closures given to `map`. Linux hands a
/// thread's policy to every thread it creates, and an unprivileged thread cannot raise its
/// own again; a lowered thread that resumed a task or ran an executor job could make the
/// cooperative pool start a worker, which would stay `SCHED_IDLE` for good and leave rule
/// evaluations and push handlers queued behind users' scans. So a lowered pool's finished
/// maps are resumed by a thread of its own that keeps its creator's policy.
///
/// Queries take turns in arrival order, a runner of each at a time. The threads start on
/// first use.
public final class ScanPool: Sendable {
    /// The pool users' queries share (API, dashboard, explain), one thread per core, below
    /// normal priority.
    public static let background = ScanPool(threads: cores, lowered: true)

    /// The pool of the server's own queries (rule and SLO evaluation), at normal priority: a
    /// burst of dashboard queries must not delay paging.
    public static let normal = ScanPool(threads: cores, lowered: false)

    /// No threads: every map runs on the calling thread. For work too small to be worth two
    /// wake-ups, such as a querier's dry runs, which only note what a query would read.
    public static let callingThread = ScanPool(threads: 0, lowered: false)
    /// The pool scans of the current task use: `normal` unless a caller chose otherwise.
    @TaskLocal public static var current: ScanPool = .normal

    /// How much lower than normal the background pool's threads run where `SCHED_IDLE` is
    /// refused.
    public static let niceness: Int32 = 10

    /// `SCHED_IDLE` from <sched.h>, which Glibc declares only with `_GNU_SOURCE`.
    static let schedIdle: Int32 = 5

    static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    public let threads: Int
    private let scans = JobQueue()
    /// Resumptions of a lowered pool's finished maps (nil for a normal pool, whose runners
    /// resume the caller themselves).
    private let resumptions: JobQueue?

    init(threads: Int, lowered: Bool) {
        self.threads = threads
        resumptions = lowered ? JobQueue() : nil
        for _ in 0..<threads {
            Thread { [scans] in
                if lowered { ScanPool.lowerCurrentThreadPriority() }
                while true { scans.next()() }
            }.start()
        }
        // Started before any thread of the pool is lowered, from the thread that first uses
        // the pool, so it keeps that thread's policy.
        if let resumptions {
            Thread { while true { resumptions.next()() } }.start()
        }
    }

    /// Whether the scan threads run below normal priority.
    public var lowered: Bool { resumptions != nil }

    /// Puts the calling thread under `SCHED_IDLE`, or else at `niceness`; a no-op where both
    /// are refused. Linux keeps both per thread, and pid 0 is the calling thread.
    static func lowerCurrentThreadPriority() {
        #if os(Linux)
        var param = sched_param(sched_priority: 0)
        if sched_setscheduler(0, schedIdle, &param) != 0 {
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
        }
        #endif
    }

    /// Runs `body(0..<count)` on the pool, each index once, and returns the results in index
    /// order. At most `threads` indexes of this call run at once. The first error stops the
    /// rest (indexes not yet started are skipped) and is thrown; so is cancellation of the
    /// calling task, checked before each index. `body` must only compute: it runs on a lowered
    /// thread in a lowered pool, where it must not start tasks or resume continuations.
    public func map<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) async throws -> [T] {
        if count == 0 { return [] }
        if threads == 0 {
            var out: [T] = []
            out.reserveCapacity(count)
            for i in 0..<count {
                try Task.checkCancellation()
                out.append(try body(i))
            }
            return out
        }
        let run = MapRun<T>(count: count)
        let runners = min(threads, count)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<[T], any Error>) in
                run.continuation.withLock { $0 = c }
                for _ in 0..<runners {
                    scans.append { [resumptions] in
                        while let i = run.claim() {
                            do { run.store(i, try body(i)) } catch { run.fail(error) }
                        }
                        guard let resume = run.runnerFinished(runners: runners) else { return }
                        if let resumptions { resumptions.append(resume) } else { resume() }
                    }
                }
            }
        } onCancel: {
            run.fail(CancellationError())
        }
    }
}

/// Work for a pool's threads in arrival order; a taken slot is cleared at once, so a finished
/// job's captures (a query's partial results) are released, not kept until the array is trimmed.
private final class JobQueue: Sendable {
    private struct Queue {
        var jobs: [(@Sendable () -> Void)?] = []
        var head = 0
    }

    private let queue = Mutex(Queue())
    private let ready = DispatchSemaphore(value: 0)

    func append(_ job: @escaping @Sendable () -> Void) {
        queue.withLock { $0.jobs.append(job) }
        ready.signal()
    }

    /// Waits for the next job and takes it.
    func next() -> @Sendable () -> Void {
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
            if let job { return job }
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

    /// Called by each runner when it runs out of indexes; the last one gets the resumption of
    /// the waiting caller, to run on a thread that may resume tasks.
    func runnerFinished(runners: Int) -> (@Sendable () -> Void)? {
        guard finished.add(1, ordering: .acquiringAndReleasing).newValue == runners else { return nil }
        let c = continuation.withLock { c -> CheckedContinuation<[T], any Error>? in
            defer { c = nil }
            return c
        }
        if let e = error.withLock({ $0 }) {
            return { c?.resume(throwing: e) }
        }
        let values = (0..<count).map { results[$0]! }
        return { c?.resume(returning: values) }
    }
}
