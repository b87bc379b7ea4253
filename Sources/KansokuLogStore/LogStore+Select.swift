import KansokuCore

extension LogStore {
    /// Entries in `[from, through)` of the streams matching `query.matchers` whose lines pass
    /// every literal filter, ordered by `direction`, at most `limit` over all streams (the
    /// newest for backward, the oldest for forward). Blocks whose token filter rules out a
    /// required literal are skipped undecoded.
    public func select(_ query: LogSelect) throws(LogStoreError) -> [StreamEntries] {
        let forward = query.direction == .forward
        let limit = query.limit > 0 ? query.limit : Int.max
        let filters = query.lineFilters.map { f in
            (f, f.caseInsensitive ? f.literal.map(asciiLower) : f.literal)
        }
        var perStream: [(StreamInfo, [LogEntry])] = []
        for stream in streams(tenant: query.tenant, matchers: query.matchers, from: query.from, through: query.through &- 1) {
            var blocks = self.blocks(tenant: query.tenant, stream: stream.id, from: query.from, through: query.through &- 1)
            blocks = blocks.filter { b in
                filters.allSatisfy { f, _ in f.negated || mayContain(b, literal: f.literal, caseInsensitive: f.caseInsensitive) }
            }
            if !forward { blocks.reverse() }
            // (timestamp, block order, index) keeps arrival order for equal timestamps.
            var found: [(ts: Int64, order: Int, entry: LogEntry)] = []
            var order = 0
            var cutoff: Int64?
            for (bi, b) in blocks.enumerated() {
                if let cutoff, found.count >= limit, forward ? b.minTime > cutoff : b.maxTime < cutoff { continue }
                let blockRank = forward ? bi : blocks.count - bi
                try withBlock(b) { d in
                    for i in 0..<d.count {
                        let t = d.timestamps[i]
                        guard t >= query.from && t < query.through else { continue }
                        let line = d.lines[i]
                        guard filters.allSatisfy({ f, lit in contains(line, lit, caseInsensitive: f.caseInsensitive) != f.negated }) else { continue }
                        found.append((t, blockRank << 32 | i, LogEntry(timestamp: t, line: Array(line), metadata: d.metadata.isEmpty ? Labels() : d.metadata[i])))
                        order += 1
                    }
                }
                if found.count >= limit {
                    found.sort { forward ? ($0.ts, $0.order) < ($1.ts, $1.order) : ($0.ts, $0.order) > ($1.ts, $1.order) }
                    found.removeLast(found.count - limit)
                    cutoff = found.last?.ts
                }
            }
            found.sort { forward ? ($0.ts, $0.order) < ($1.ts, $1.order) : ($0.ts, $0.order) > ($1.ts, $1.order) }
            if found.count > limit { found.removeLast(found.count - limit) }
            if !found.isEmpty { perStream.append((stream, found.map(\.entry))) }
        }
        guard limit != Int.max else { return perStream.map { StreamEntries(stream: $0.0, entries: $0.1) } }
        // Keep the `limit` best entries over all streams.
        var all: [(ts: Int64, stream: Int, index: Int)] = []
        for (si, s) in perStream.enumerated() { for (i, e) in s.1.enumerated() { all.append((e.timestamp, si, i)) } }
        all.sort { forward ? ($0.ts, $0.stream, $0.index) < ($1.ts, $1.stream, $1.index)
                           : ($0.ts, $1.stream, $1.index) > ($1.ts, $0.stream, $0.index) }
        var keep = [Int](repeating: 0, count: perStream.count)
        for x in all.prefix(limit) { keep[x.stream] += 1 }
        var out: [StreamEntries] = []
        for (si, s) in perStream.enumerated() where keep[si] > 0 {
            out.append(StreamEntries(stream: s.0, entries: Array(s.1.prefix(keep[si]))))
        }
        return out
    }
}

@inline(__always) func asciiLower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b | 0x20 : b }

/// Substring search on bytes; `needle` is already lowercased when `caseInsensitive`.
func contains(_ hay: UnsafeRawBufferPointer, _ needle: [UInt8], caseInsensitive: Bool) -> Bool {
    let n = needle.count
    if n == 0 { return true }
    if hay.count < n { return false }
    return needle.withUnsafeBufferPointer { nd in
        let first = nd[0]
        var i = 0
        let last = hay.count - n
        while i <= last {
            let c = caseInsensitive ? asciiLower(hay[i]) : hay[i]
            if c == first {
                var j = 1
                while j < n {
                    let h = caseInsensitive ? asciiLower(hay[i + j]) : hay[i + j]
                    if h != nd[j] { break }
                    j += 1
                }
                if j == n { return true }
            }
            i += 1
        }
        return false
    }
}
