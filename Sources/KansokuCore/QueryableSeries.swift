/// Samples of many series side by side in two columns, times and values: what a store
/// decodes a selection into. One allocation pair serves thousands of series, where columns
/// of their own cost each series two allocations, two frees and a copy into the engine; and
/// the engine then reads series after series from contiguous memory.
///
/// Written by one thread while a selection is made, then only read: it is handed over, never
/// shared while being written, which is what makes it `Sendable`.
public final class SampleColumns: @unchecked Sendable {
    // Unchecked: a selection writes these once per sample, and dynamic exclusivity checks on
    // each access cost more than the write; one thread writes, as said above.
    @exclusivity(unchecked) public private(set) var times: UnsafeMutablePointer<Int64>
    @exclusivity(unchecked) public private(set) var values: UnsafeMutablePointer<Double>
    @exclusivity(unchecked) public private(set) var count = 0
    @exclusivity(unchecked) private var capacity: Int

    public init(capacity: Int = 0) {
        self.capacity = max(capacity, 16)
        times = .allocate(capacity: self.capacity)
        values = .allocate(capacity: self.capacity)
    }

    deinit {
        times.deallocate()
        values.deallocate()
    }

    /// Room for `extra` more samples without growing.
    public func reserve(_ extra: Int) {
        guard count + extra > capacity else { return }
        grow(to: max(count + extra, capacity * 2))
    }

    @inline(__always)
    public func append(_ t: Int64, _ v: Double) {
        if count == capacity { grow(to: capacity * 2) }
        times[count] = t
        values[count] = v
        count += 1
    }

    /// Lets `write` put up to `most` samples at the end, through pointers to where they go,
    /// and keeps the number it returns.
    @inline(__always)
    public func append(most: Int, _ write: (UnsafeMutablePointer<Int64>, UnsafeMutablePointer<Double>) -> Int) {
        reserve(most)
        let n = write(times + count, values + count)
        precondition(n <= most, "wrote past the room asked for")
        count += n
    }

    private func grow(to n: Int) {
        let t = UnsafeMutablePointer<Int64>.allocate(capacity: n)
        let v = UnsafeMutablePointer<Double>.allocate(capacity: n)
        t.moveInitialize(from: times, count: count)
        v.moveInitialize(from: values, count: count)
        times.deallocate()
        values.deallocate()
        (times, values, capacity) = (t, v, n)
    }

    /// The times of `span`; valid as long as this object lives and is not appended to.
    public func times(_ span: Range<Int>) -> UnsafeBufferPointer<Int64> {
        UnsafeBufferPointer(start: times + span.lowerBound, count: span.count)
    }

    /// The values of `span`; valid as long as this object lives and is not appended to.
    public func values(_ span: Range<Int>) -> UnsafeBufferPointer<Double> {
        UnsafeBufferPointer(start: values + span.lowerBound, count: span.count)
    }
}

/// A stored series as the PromQL engine reads it: a label set (with `__name__`) and its
/// samples in time order, a span of shared `SampleColumns`. Values may include stale
/// markers. Stores build these directly (it lives here, below both the stores and the
/// engine), so selecting 100,000 series goes through no generic code.
public struct QueryableSeries: Sendable {
    public var labels: Labels
    /// Holds the samples; the engine keeps it alive while it reads them in place.
    public let columns: SampleColumns
    /// Where this series' samples are in `columns`.
    public let span: Range<Int>

    public init(labels: Labels, columns: SampleColumns, span: Range<Int>) {
        self.labels = labels
        self.columns = columns
        self.span = span
    }

    /// A series with columns of its own.
    public init(labels: Labels, timestamps: [Int64], values: [Double]) {
        precondition(timestamps.count == values.count, "columns of different lengths")
        let c = SampleColumns(capacity: timestamps.count)
        for (t, v) in zip(timestamps, values) { c.append(t, v) }
        self.init(labels: labels, columns: c, span: 0..<c.count)
    }

    public var count: Int { span.count }

    /// The sample times, copied out.
    public var timestamps: [Int64] { Array(columns.times(span)) }

    /// The sample values, copied out.
    public var values: [Double] { Array(columns.values(span)) }

    /// The series with only its newest sample.
    public var keepingNewest: QueryableSeries {
        guard span.count > 1 else { return self }
        return QueryableSeries(labels: labels, columns: columns, span: span.upperBound - 1..<span.upperBound)
    }
}
