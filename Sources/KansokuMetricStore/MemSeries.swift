import KansokuCore

/// A completed, immutable head chunk.
struct HeadChunk: Sendable {
    var bytes: [UInt8]
    var minT: Int64
    var maxT: Int64
}

/// Why a sample was not appended to its series.
enum AppendOutcome {
    case appended
    case repeated  // same timestamp, same value: accepted silently, as Prometheus does
    case outOfOrder
    case duplicate
}

/// One series in the head: completed chunks plus the open chunk being appended to.
struct MemSeries: Sendable {
    static let samplesPerChunk = 120
    static let maxBytesPerChunk = 1024 - 19

    // Declaration order is memory order: the fields every append touches come first so
    // they share the series' first cache line.
    /// 0 marks a vacant slot.
    let ref: UInt64
    var lastT: Int64 = .min
    /// The open chunk is cut before a sample at or after this time.
    var nextAt: Int64 = .min
    var open: XORAppender?
    /// Position among the head's series in label order (`Head+LabelOrder.swift`); `.max`
    /// until the next ranking. Sits in the padding after `open`.
    var labelRank: UInt32 = .max
    var lastBits: UInt64 = 0
    var openMinT: Int64 = 0
    /// End of the block range the open chunk belongs to (chunks never straddle blocks).
    var rangeEnd: Int64 = .min
    let labels: Labels
    var chunks: [HeadChunk] = []

    init(ref: UInt64, labels: Labels) {
        self.ref = ref
        self.labels = labels
    }

    static let vacant = MemSeries(ref: 0, labels: Labels())

    var minTime: Int64 { chunks.first?.minT ?? (open != nil ? openMinT : .max) }
    var isEmpty: Bool { chunks.isEmpty && open == nil }
    var chunkCount: Int { chunks.count + (open == nil ? 0 : 1) }

    @inline(__always)
    mutating func append(t: Int64, v: Double, chunkRange: Int64) -> AppendOutcome {
        if t <= lastT {
            if t < lastT { return .outOfOrder }
            return v.bitPattern == lastBits ? .repeated : .duplicate
        }
        if open == nil || t >= nextAt || open!.count >= 2 * MemSeries.samplesPerChunk
            || open!.byteCount > MemSeries.maxBytesPerChunk {
            cut(at: t, chunkRange: chunkRange)
        }
        open!.append(t: t, v: v)
        if open!.count == MemSeries.samplesPerChunk / 4 {
            nextAt = MemSeries.chunkEnd(start: openMinT, current: t, max: rangeEnd)
        }
        lastT = t
        lastBits = v.bitPattern
        return .appended
    }

    /// Closes the open chunk (trimming its buffer) and starts a new one at `t`.
    mutating func cut(at t: Int64, chunkRange: Int64) {
        closeOpenChunk()
        open = XORAppender()
        openMinT = t
        rangeEnd = MemSeries.rangeEnd(t, chunkRange)
        nextAt = rangeEnd
    }

    mutating func closeOpenChunk() {
        guard let o = open else { return }
        if o.count > 0 {
            chunks.append(HeadChunk(bytes: Array(o.bytes), minT: openMinT, maxT: o.t))
        }
        open = nil
    }

    /// Drops chunks entirely before `minT` (persisted into a block); true when nothing is left.
    mutating func truncate(before minT: Int64) -> Bool {
        if let o = open, o.t < minT { open = nil }
        if let i = chunks.firstIndex(where: { $0.maxT >= minT }) {
            if i > 0 { chunks.removeFirst(i) }
        } else {
            chunks.removeAll()
        }
        return isEmpty
    }

    /// Chunks overlapping `[from, through]`, open chunk included (copied, so safe to decode
    /// without the stripe lock).
    func chunks(from: Int64, through: Int64) -> [HeadChunk] {
        var out: [HeadChunk] = []
        for c in chunks where c.maxT >= from && c.minT <= through { out.append(c) }
        if let o = open, o.count > 0, o.t >= from, openMinT <= through {
            out.append(HeadChunk(bytes: o.bytes, minT: openMinT, maxT: o.t))
        }
        return out
    }

    /// The series' newest sample, kept by the open chunk's appender.
    var newest: Sample? {
        guard let o = open, o.count > 0 else { return nil }
        return Sample(t: lastT, v: Double(bitPattern: lastBits))
    }

    /// Appends the samples in `[from, through]` to `columns` (chunks follow each
    /// other in time: appends never go back).
    func decode(from: Int64, through: Int64, into columns: SampleColumns) {
        for c in chunks where c.maxT >= from && c.minT <= through {
            XORChunk.decode(c.bytes, from: from, through: through, into: columns)
        }
        if let o = open, o.count > 0, o.t >= from, openMinT <= through {
            XORChunk.decode(o.bytes, from: from, through: through, into: columns)
        }
    }

    /// End of the aligned range of width `range` holding `t`.
    static func rangeEnd(_ t: Int64, _ range: Int64) -> Int64 {
        var start = t / range * range
        if t < 0 && start != t { start -= range }
        return start + range
    }

    /// Prometheus's `computeChunkEndTime`: spreads the rest of the range evenly over chunks
    /// of about `samplesPerChunk` samples, predicted from the first quarter of this one.
    static func chunkEnd(start: Int64, current: Int64, max: Int64) -> Int64 {
        let n = Double(max - start) / (Double(current - start + 1) * 4)
        if n <= 1 { return max }
        return start + Int64(Double(max - start) / n.rounded(.down))
    }
}
