import CKansokuPrefetch
import Dispatch
import KansokuCore
import Synchronization

extension Evaluator {
    /// Running values held at once by `fusedAllSteps` (steps × groups).
    static let maxFusedStepGroups = 1 << 20
    /// Series per run that `fusedAllSteps` hands a core: enough to outweigh the hand-over.
    static let seriesPerPart = 8192

    /// Asks for the first 1 KiB of a series' times and values to be cached. Series are read
    /// in label order, and their samples lie in memory in the order they were decoded, so
    /// the processor's own prefetching, which follows addresses, cannot guess the next one.
    @inline(__always)
    static func prefetch(_ s: FusedSeries) {
        var offset = 0
        while offset < min(s.times.count * 8, 1024) {
            kprefetch(UnsafeRawPointer(s.times.baseAddress!) + offset)
            kprefetch(UnsafeRawPointer(s.values.baseAddress!) + offset)
            offset += 64
        }
    }

    /// In a range query, a fused range-function aggregation at every step of the query at
    /// once, worked out at its first step, series by series: each series' samples are read
    /// front to back while its window slides over the steps, where stepping first would visit
    /// every series at every step, each visit a cache miss on another series' buffers. Every
    /// group still receives its series in the same order at each step, so with one run of
    /// series the values are bit for bit those of the step-by-step path; with several, sums
    /// join the runs' compensated sums (`StreamingAggregation.merge`). Nil, and the
    /// step-by-step path runs, away from the query's own steps (inside a subquery), when
    /// windows do not move forward, or when steps × groups passes `maxFusedStepGroups`.
    func fusedAllSteps(_ a: AggregateExpr, _ fn: RangeFunction, _ arg: PromQLExpr, _ m: MatrixSelector, spec: String,
                       _ input: [FusedSeries], _ cache: GroupCache, _ t: Int64) throws(PromQLError) -> [EvalSample]? {
        guard isRangeQuery, t >= start, t <= end, (t - start) % step == 0 else { return nil }
        let index = Int((t - start) / step)
        let key = [spec, fn.rawValue, "\(a.op)", "\(m.range)", "\(m.selector.offset)", "\(String(describing: m.selector.at))"]
            .joined(separator: "\u{1}")
        if let known = fusedSteps[key] { return known[index] }
        let steps = Int((end - start) / step) + 1
        let groups = cache.labels.count
        guard steps <= Evaluator.maxFusedStepGroups / max(groups, 1) else { return nil }
        let bounds = (0..<steps).map { rangeBounds(arg, start + Int64($0) * step) }
        for (x, y) in zip(bounds, bounds.dropFirst()) where y.start < x.start || y.end < x.end { return nil }

        let dropName = !(fn == .lastOverTime || fn == .firstOverTime)
        let (first, interval, budget) = (start, step, budget)
        // Runs of series on the cores, their aggregations merged in order. How many runs
        // depends on the series alone, so a query's sums come out the same on every machine.
        let parts = StreamingAggregation.mergeable(a.op) ? min(8, max(1, input.count / Evaluator.seriesPerPart)) : 1
        let results = Mutex([Result<[StreamingAggregation], PromQLError>?](repeating: nil, count: parts))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            var perStep = [StreamingAggregation](repeating: StreamingAggregation(a.op, groups: groups), count: steps)
            // A window shape remembered per step: series scraped together have the same
            // shape at a step, while one series' shape changes from step to step near the
            // edges of its data.
            var steady = [SteadyRate](repeating: SteadyRate(), count: steps)
            let run = input.count * part / parts..<input.count * (part + 1) / parts
            var failure: PromQLError?
            perStep.withUnsafeMutableBufferPointer { perStep in
                steady.withUnsafeMutableBufferPointer { steady in
                    for n in run {
                        if n & 1023 == 0 {
                            do throws(PromQLError) { try budget.check() } catch {
                                failure = error
                                return
                            }
                        }
                        if n + 2 < run.upperBound { Self.prefetch(input[n + 2]) }
                        let s = input[n]
                        var lo = 0, hi = 0
                        for i in 0..<steps {
                            hi = advance(s.times, hi, past: bounds[i].end)
                            lo = advance(s.times, lo, past: bounds[i].start)
                            guard lo < hi,
                                  let v = Self.windowValue(fn, s, lo, hi, bounds[i], first + Int64(i) * interval, &steady[i]) else { continue }
                            perStep[i].add(v, group: s.group, dropName: dropName)
                        }
                    }
                }
            }
            let result: Result<[StreamingAggregation], PromQLError> = failure.map { .failure($0) } ?? .success(perStep)
            results.withLock { $0[part] = result }
        }
        var perStep = try results.withLock { $0 }[0]!.get()
        for r in results.withLock({ $0 }).dropFirst() {
            for (i, other) in try r!.get().enumerated() { perStep[i].merge(other) }
        }
        let all = perStep.map { $0.samples(cache) }
        fusedSteps[key] = all
        return all[index]
    }
}
