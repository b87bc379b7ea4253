import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs one query's parsing and evaluation on a thread of its own with a large stack.
///
/// Parsing, type checking, printing, evaluating and even releasing an expression tree recurse
/// once per nesting level, and Prometheus answers expressions nested ten thousand deep. The
/// cooperative pool's threads have small stacks; a dedicated thread with a large (lazily
/// committed) stack takes such queries, and long evaluations stop occupying the pool.
enum QueryThread {
    /// Virtual size of a query thread's stack; pages are committed only as deep queries touch them.
    static let stackSize = 512 << 20

    /// Runs `body` on a new thread and waits for it without blocking the caller's thread.
    static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (c: CheckedContinuation<T, Never>) in
            let job = Job { c.resume(returning: body()) }
            if !start(job) { job.work() }
        }
    }

    /// Runs `body` on a new thread and blocks the calling thread until it is done: for the
    /// synchronous parser entry points, whose callers may sit on a small stack.
    static func runBlocking<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        let job = Job {
            let v = body()
            result.withLock { $0 = v }
            done.signal()
        }
        if !start(job) { return body() }
        done.wait()
        return result.withLock { $0! }
    }

    private final class Job: Sendable {
        let work: @Sendable () -> Void
        init(_ work: @escaping @Sendable () -> Void) { self.work = work }
    }

    /// Starts a detached thread running `job`, with a smaller stack when the system refuses
    /// the large one (strict overcommit); false when it refuses a thread at all.
    private static func start(_ job: Job) -> Bool {
        start(job, stackSize: stackSize) || start(job, stackSize: 64 << 20)
    }

    private static func start(_ job: Job, stackSize: Int) -> Bool {
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        pthread_attr_setstacksize(&attr, stackSize)
        let context = Unmanaged.passRetained(job).toOpaque()
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t?
        #endif
        let rc = pthread_create(&thread, &attr, { raw in
            #if canImport(Glibc)
            let job = Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue()
            #else
            let job = Unmanaged<Job>.fromOpaque(raw).takeRetainedValue()
            #endif
            job.work()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<Job>.fromOpaque(context).release()
            return false
        }
        #if canImport(Glibc)
        pthread_detach(thread)
        #else
        if let thread { pthread_detach(thread) }
        #endif
        return true
    }

    /// Waits on this (non-pool) thread for an async storage call.
    static func wait<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        let result = Mutex<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let v = await body()
            result.withLock { $0 = v }
            done.signal()
        }
        done.wait()
        return result.withLock { $0! }
    }
}

/// Hands a value that is not `Sendable` to the query thread and back: the two sides never
/// touch it at the same time (the sender waits for the thread to finish).
struct Handoff<T>: @unchecked Sendable {
    var value: T
}
