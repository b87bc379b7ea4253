/// Error and total event counts per time bucket at one resolution, in a ring: the memory
/// behind incremental SLO windows. Each evaluation adds the 5-minute SLI scaled by the time
/// it stands for; any window is then a sum over buckets instead of a query over raw data.
struct BucketRing: Sendable {
    let resolution: Int64
    let capacity: Int
    private(set) var errors: [Double]
    private(set) var totals: [Double]
    /// Bucket index (time / resolution) of the newest bucket, or nil when empty.
    private(set) var newest: Int64?

    init(resolution: Int64, span: Int64) {
        self.resolution = resolution
        capacity = Int(span / resolution) + 2
        errors = Array(repeating: 0, count: capacity)
        totals = Array(repeating: 0, count: capacity)
    }

    private func slot(_ bucket: Int64) -> Int { Int(((bucket % Int64(capacity)) + Int64(capacity)) % Int64(capacity)) }

    mutating func add(at t: Int64, errors e: Double, totals tot: Double) {
        let b = floorDiv(t, resolution)
        if let n = newest {
            if b > n {
                // Clear the buckets the ring moves over (all of them after a long gap).
                var k = n + 1
                let stop = min(b, n + Int64(capacity))
                while k <= stop {
                    errors[slot(k)] = 0
                    totals[slot(k)] = 0
                    k += 1
                }
                newest = b
            } else if b <= n - Int64(capacity) {
                return  // older than the ring holds
            }
        } else {
            newest = b
        }
        errors[slot(b)] += e
        totals[slot(b)] += tot
    }

    /// Replaces the bucket holding `t` (one value per tick).
    mutating func set(at t: Int64, errors e: Double, totals tot: Double) {
        add(at: t, errors: 0, totals: 0)
        let b = floorDiv(t, resolution)
        guard let n = newest, b > n - Int64(capacity) else { return }
        errors[slot(b)] = e
        totals[slot(b)] = tot
    }

    /// The bucket holding `t`, if the ring still has it.
    func value(at t: Int64) -> (errors: Double, totals: Double)? {
        let b = floorDiv(t, resolution)
        guard let n = newest, b <= n, b > n - Int64(capacity) else { return nil }
        return (errors[slot(b)], totals[slot(b)])
    }

    /// Sums of the buckets after the one holding `t - window`, up to the one holding `t`.
    func sum(window: Int64, at t: Int64) -> (errors: Double, totals: Double) {
        guard let n = newest else { return (0, 0) }
        let last = min(floorDiv(t, resolution), n)
        let first = max(floorDiv(t - window, resolution) + 1, n - Int64(capacity) + 1)
        var e = 0.0, tot = 0.0
        if first > last { return (0, 0) }
        var k = first
        while k <= last {
            let s = slot(k)
            e += errors[s]
            tot += totals[s]
            k += 1
        }
        return (e, tot)
    }
}

@inline(__always) func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
}

/// The window sums of one SLI series, exact for windows that are multiples of 5 minutes:
/// each evaluation stores the 5-minute SLI (errors, totals) it queried, and a window of W is
/// the sum of the non-overlapping 5-minute blocks ending at t, t−5m, t−10m, … — the same
/// events a `rate(x[W])` over raw data counts, read from memory.
///
/// - `fine`: one slot per evaluation tick, for windows up to 6h (72 reads for 6h);
/// - `medium`: one slot per 5-minute block, for windows up to 3d (864 reads for 3d);
/// - `coarse`: one slot per hour (sum of its twelve blocks), for the SLO period (720 reads
///   for 30d; the oldest hour may be partly outside the window: ≤ 1h/period off).
///
/// Memory is about 40 KB per SLI series whatever the raw data rate.
struct SLOWindowSums: Sendable {
    static let block: Int64 = 300_000
    static let mediumResolution: Int64 = 300_000
    static let coarseResolution: Int64 = 3_600_000
    static let fineLimit: Int64 = 6 * 3_600_000
    static let mediumLimit: Int64 = 3 * 86_400_000

    let interval: Int64
    var fine: BucketRing
    var medium: BucketRing
    var coarse: BucketRing
    /// End of the last 5-minute block added to `medium` and `coarse`.
    var lastBlock: Int64?
    /// End of the first block added live: history from a warm start stops before it.
    var firstLiveBlock: Int64?

    init(longestWindow: Int64, interval: Int64) {
        self.interval = max(1000, interval)
        fine = BucketRing(resolution: self.interval, span: min(longestWindow, Self.fineLimit))
        medium = BucketRing(resolution: Self.mediumResolution, span: min(longestWindow, Self.mediumLimit))
        coarse = BucketRing(resolution: Self.coarseResolution, span: max(longestWindow, Self.coarseResolution))
    }

    /// Records the 5-minute SLI queried at tick `t`.
    mutating func addTick(at t: Int64, errors: Double, totals: Double) {
        fine.set(at: t, errors: errors, totals: totals)
    }

    /// Records the 5-minute block ending at `end` (a multiple of 5 minutes).
    mutating func addBlock(endingAt end: Int64, errors: Double, totals: Double) {
        if let last = lastBlock, end <= last { return }
        if firstLiveBlock == nil { firstLiveBlock = end }
        // The block (end−5m, end] belongs to the bucket holding its last instant.
        medium.add(at: end - 1, errors: errors, totals: totals)
        coarse.add(at: end - 1, errors: errors, totals: totals)
        lastBlock = end
    }

    /// Adds a block of history (warm start), which may run while live ticks arrive; blocks the
    /// live evaluation already added are not counted twice.
    mutating func backfillBlock(endingAt end: Int64, errors: Double, totals: Double) {
        if let live = firstLiveBlock, end >= live { return }
        medium.add(at: end - 1, errors: errors, totals: totals)
        coarse.add(at: end - 1, errors: errors, totals: totals)
        if lastBlock == nil || end > lastBlock! { lastBlock = end }
    }

    /// Records a tick of history (warm start); history ends before the first live tick.
    mutating func backfillTick(at t: Int64, errors: Double, totals: Double) {
        fine.set(at: t, errors: errors, totals: totals)
    }

    /// Error and total sums over `window` ending at `t`.
    func sum(window: Int64, at t: Int64) -> (errors: Double, totals: Double) {
        if window <= Self.fineLimit && window % Self.block == 0 {
            var e = 0.0, tot = 0.0
            var k: Int64 = 0
            while k < window {
                if let v = fine.value(at: t - k) {
                    e += v.errors
                    tot += v.totals
                }
                k += Self.block
            }
            return (e, tot)
        }
        // Blocks end on 5-minute boundaries; between them the window (t−W, t] is the last
        // complete blocks, the newest tick's 5m SLI for the part after the last boundary, and
        // the matching share of the block leaving the window.
        let end = t / Self.block * Self.block
        let delta = t - end
        let ring = window <= Self.mediumLimit ? medium : coarse
        var (e, tot) = ring.sum(window: window - Self.block, at: end - 1)
        if window <= Self.mediumLimit, let tail = medium.value(at: end - window + Self.block - 1) {
            let share = Double(Self.block - delta) / Double(Self.block)
            e += tail.errors * share
            tot += tail.totals * share
        }
        if delta > 0, let head = fine.value(at: t) {
            let share = Double(delta) / Double(Self.block)
            e += head.errors * share
            tot += head.totals * share
        }
        return (e, tot)
    }

    /// Error ratio over `window`, or nil without traffic.
    func ratio(window: Int64, at t: Int64) -> Double? {
        let s = sum(window: window, at: t)
        guard s.totals > 0 else { return nil }
        return s.errors / s.totals
    }
}
