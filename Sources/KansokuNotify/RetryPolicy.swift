/// Exponential backoff with full jitter (a uniformly random wait between zero and
/// `initial × 2^attempt`, capped): retries from many senders spread out instead of
/// arriving together when a receiver comes back.
public struct RetryPolicy: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration

    public init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = max(initial, maximum)
    }

    /// The upper bound of the wait before retry number `attempt` (0 for the first retry).
    public func ceiling(attempt: Int) -> Duration {
        let factor = Double(1 << min(attempt, 30))
        let ns = min(Double(initial.nanoseconds) * factor, Double(maximum.nanoseconds))
        return .nanoseconds(Int64(ns))
    }

    /// The wait before retry number `attempt`, at least `floor` (a server's Retry-After).
    public func delay(attempt: Int, floor: Duration = .zero, using rng: inout some RandomNumberGenerator) -> Duration {
        let cap = ceiling(attempt: attempt).nanoseconds
        let jittered = Duration.nanoseconds(cap > 0 ? Int64.random(in: 0...cap, using: &rng) : 0)
        return max(jittered, min(floor, maximum))
    }
}
