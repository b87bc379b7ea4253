import Synchronization

/// One query's time budget and cancellation flag, shared between the task that awaits the
/// query and the thread that evaluates it.
final class QueryBudget: Sendable {
    let deadline: ContinuousClock.Instant?
    private let cancelled = Atomic<Bool>(false)

    init(timeout: Duration?) {
        deadline = timeout.map { ContinuousClock.now.advanced(by: $0) }
    }

    func cancel() { cancelled.store(true, ordering: .relaxed) }

    /// Throws Prometheus's timeout or cancellation error for the stage `env` once the
    /// deadline has passed or the query was cancelled.
    func check(_ env: String = "expression evaluation") throws(PromQLError) {
        if cancelled.load(ordering: .relaxed) { throw PromQLError.canceled("query was canceled in \(env)") }
        if let deadline, ContinuousClock.now >= deadline { throw PromQLError.timeout("query timed out in \(env)") }
    }
}

/// At most `limit` queries evaluating at once (Prometheus's `--query.max-concurrency`);
/// the rest wait in arrival order. No lock is held across a suspension.
public final class QueryGate: Sendable {
    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var available: Int
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
        /// Waiters cancelled before they were queued: they must not queue any more.
        var cancelledEarly: Set<UInt64> = []
    }

    private let state: Mutex<State>
    /// How many queries may evaluate at once.
    public let limit: Int

    public init(limit: Int) {
        self.limit = max(1, limit)
        state = Mutex(State(available: max(1, limit)))
    }

    /// Queries evaluating right now (for tests and self-metrics).
    public var running: Int { state.withLock { limit - $0.available } }
    /// Queries waiting for a place.
    public var waiting: Int { state.withLock { $0.waiters.count } }

    /// Waits for a place; false when the task was cancelled while waiting (no place taken).
    public func acquire() async -> Bool {
        let id = state.withLock { s in
            s.nextID += 1
            return s.nextID
        }
        let granted = await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
                let answer: Bool? = state.withLock { s in
                    if s.cancelledEarly.remove(id) != nil { return false }
                    if s.available > 0 {
                        s.available -= 1
                        return true
                    }
                    s.waiters.append(Waiter(id: id, continuation: c))
                    return nil
                }
                if let answer { c.resume(returning: answer) }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { s in
                if let i = s.waiters.firstIndex(where: { $0.id == id }) { return s.waiters.remove(at: i) }
                s.cancelledEarly.insert(id)
                return nil
            }
            waiter?.continuation.resume(returning: false)
        }
        // A cancellation that arrived after the place was granted leaves a mark behind.
        state.withLock { _ = $0.cancelledEarly.remove(id) }
        return granted
    }

    /// Gives a place back, to the longest waiting query if any.
    public func release() {
        let next: Waiter? = state.withLock { s in
            if s.waiters.isEmpty {
                s.available += 1
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.continuation.resume(returning: true)
    }
}
