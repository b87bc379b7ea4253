public import KansokuCore
import Synchronization

/// Storage the engine runs over: returns the series matching all `matchers` with their
/// samples in `[from, through]` (milliseconds, both inclusive), in label order
/// (`labelsLess`): the order aggregation and results follow, which a store keeps far more
/// cheaply than the engine could check it. Series without samples in the interval may be
/// left out.
public protocol Queryable: Sendable {
    func selectSeries(matchers: [LabelMatcher], from: Int64, through: Int64) async throws -> [QueryableSeries]
    /// Like `selectSeries`, but of each series only its newest sample in the interval (what
    /// an instant query's plain selector reads: the newest sample in the lookback window).
    func selectLatest(matchers: [LabelMatcher], from: Int64, through: Int64) async throws -> [QueryableSeries]
}

extension Queryable {
    public func selectLatest(matchers: [LabelMatcher], from: Int64, through: Int64) async throws -> [QueryableSeries] {
        try await selectSeries(matchers: matchers, from: from, through: through).map(\.keepingNewest)
    }
}

/// A complete in-memory series store: what tests, rule unit tests and `promtool`-style
/// checks evaluate against.
public final class InMemoryQueryable: Queryable {
    private struct State {
        var series: [Labels: (ts: [Int64], vs: [Double])] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    /// Adds a sample; samples of a series may arrive in any order (they are kept sorted, a
    /// sample at an existing timestamp replaces it).
    public func add(_ labels: Labels, t: Int64, v: Double) {
        state.withLock { s in
            // Appends in place (the common, in-order case) without copying the arrays.
            if s.series[labels]?.ts.last.map({ $0 < t }) ?? true {
                s.series[labels, default: (ts: [], vs: [])].ts.append(t)
                s.series[labels, default: (ts: [], vs: [])].vs.append(v)
                return
            }
            var entry = s.series.removeValue(forKey: labels)!
            var lo = 0, hi = entry.ts.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if entry.ts[mid] < t { lo = mid + 1 } else { hi = mid }
            }
            if lo < entry.ts.count, entry.ts[lo] == t {
                entry.vs[lo] = v
            } else {
                entry.ts.insert(t, at: lo)
                entry.vs.insert(v, at: lo)
            }
            s.series[labels] = entry
        }
    }

    /// Drops every series.
    public func clear() { state.withLock { $0.series = [:] } }

    public var seriesCount: Int { state.withLock { $0.series.count } }

    public func selectSeries(matchers: [LabelMatcher], from: Int64, through: Int64) async throws -> [QueryableSeries] {
        state.withLock { s in
            var out: [QueryableSeries] = []
            for (labels, data) in s.series where matchers.matches(labels) {
                let lo = lowerBound(data.ts, from)
                let hi = lowerBound(data.ts, through + 1)
                guard lo < hi else { continue }
                out.append(QueryableSeries(labels: labels, timestamps: Array(data.ts[lo..<hi]), values: Array(data.vs[lo..<hi])))
            }
            out.sort { labelsLess($0.labels, $1.labels) }
            return out
        }
    }
}

/// Index of the first element `>= x` in sorted `a`.
@inline(__always) func lowerBound<C: RandomAccessCollection>(_ a: C, _ x: Int64) -> C.Index where C.Element == Int64 {
    var lo = a.startIndex, hi = a.endIndex
    while lo < hi {
        let mid = a.index(lo, offsetBy: a.distance(from: lo, to: hi) / 2)
        if a[mid] < x { lo = a.index(after: mid) } else { hi = mid }
    }
    return lo
}

/// Prometheus's label-set order: label by label, name then value; a prefix sorts first.
func labelsLess(_ a: Labels, _ b: Labels) -> Bool {
    let n = min(a.count, b.count)
    for i in 0..<n {
        let x = a[i], y = b[i]
        if x.name != y.name { return x.name < y.name }
        if x.value != y.value { return x.value < y.value }
    }
    return a.count < b.count
}
