/// One side's lines as a sampling pass reads them: a wave's blocks each keep every `stride`-th
/// of their lines, and while more than twice the limit are held every other one goes and the
/// stride doubles, so each line held stands for `stride` read and a long pass holds at most
/// twice the limit however many lines it meets.
struct SampleReservoir: Sendable {
    let limit: Int
    var stride = 1
    var found: [LogSampleExec.Found] = []
    var dropped = false
    /// Lines of this side met so far (kept or passed over), and in how many blocks.
    var read = 0
    var blocks = 0

    init(limit: Int) { self.limit = limit }

    var full: Bool { found.count >= limit }

    /// Blocks still to read for the limit at the rate met so far (nil before any).
    var blocksNeeded: Int? {
        guard !full else { return 0 }
        guard read > 0 else { return nil }
        let need = (limit - found.count) * stride
        return (need * blocks + read - 1) / read
    }

    /// Before a wave of `n` blocks: halves ahead while the lines the wave should add at the rate
    /// met so far would take those held past twice the limit and halving still leaves the
    /// limit, so a side with lines to spare copies fewer of them.
    mutating func prepare(blocks n: Int) {
        guard blocks > 0 else { return }
        while true {
            let expected = read * n / blocks / stride
            guard found.count + expected > 2 * limit, (found.count + expected) / 2 >= limit else { return }
            halve()
        }
    }

    /// One wave's lines, block by block, each read with the current stride; `read` lines of the
    /// side met in `blocks` blocks.
    mutating func add(_ wave: [[LogSampleExec.Found]], dropped waveDropped: Bool, read waveRead: Int, blocks waveBlocks: Int) {
        for part in wave { found.append(contentsOf: part) }
        dropped = dropped || waveDropped
        read += waveRead
        blocks += waveBlocks
        while found.count > 2 * limit { halve() }
    }

    mutating func halve() {
        var halved: [LogSampleExec.Found] = []
        halved.reserveCapacity(found.count / 2 + 1)
        for i in Swift.stride(from: 0, to: found.count, by: 2) { halved.append(found[i]) }
        found = halved
        stride *= 2
        dropped = true
    }

    /// At most `limit` lines, stream by stream (label order) and oldest first within each,
    /// evenly spaced over those held: consecutive lines of one stream are what the ranking
    /// reads fastest.
    func side(limit: Int, unread: Bool) -> LogSample.Side {
        let order = found.indices.sorted { (found[$0].task, found[$0].index) < (found[$1].task, found[$1].index) }
        let chosen = SpreadOrder.even(order.count, keeping: limit)
        return LogSample.Side(entries: chosen.map { k in
            let f = found[order[k]]
            return LogSample.Entry(timestamp: f.ts, labels: f.labels, line: f.line)
        }, sampled: dropped || unread || order.count > limit, read: read)
    }
}

/// Orders whose every prefix is spread evenly.
enum SpreadOrder {
    /// Blocks of several streams (`streams[j]`: stream j's blocks, oldest first) in rounds: each
    /// round takes one block of every stream that has one left, the streams in a scrambled but
    /// fixed order (so a prefix is not the first streams by label), and each stream's blocks in
    /// `indices` order turned by an offset spread by the golden ratio over the streams (so one
    /// round's blocks are spread over time instead of all being the streams' oldest).
    static func blocks(_ streams: [[Int]]) -> [Int] {
        let scrambled = streams.indices.sorted { (UInt64($0) &* 0x9E37_79B9_7F4A_7C15, $0) < (UInt64($1) &* 0x9E37_79B9_7F4A_7C15, $1) }
        var turns: [(order: [Int], offset: Int)] = Array(repeating: ([], 0), count: streams.count)
        var turn = 0.0
        for j in scrambled {
            turns[j] = (indices(streams[j].count), Int(turn * Double(streams[j].count)))
            turn += 0.618_033_988_749_894_9
            if turn >= 1 { turn -= 1 }
        }
        let total = streams.reduce(0) { $0 + $1.count }
        var out: [Int] = []
        out.reserveCapacity(total)
        var round = 0
        while out.count < total {
            for j in scrambled where round < streams[j].count {
                let n = streams[j].count
                out.append(streams[j][(turns[j].order[round] + turns[j].offset) % n])
            }
            round += 1
        }
        return out
    }

    /// The bit-reversal permutation of the next power of two at or above `count`, positions
    /// past the end left out: 0, ½, ¼, ¾, … of the list.
    static func indices(_ count: Int) -> [Int] {
        guard count > 1 else { return count == 1 ? [0] : [] }
        var bits = 0
        while (1 << bits) < count { bits += 1 }
        var out: [Int] = []
        out.reserveCapacity(count)
        for k in 0..<(1 << bits) {
            var r = 0, x = k
            for _ in 0..<bits {
                r = (r << 1) | (x & 1)
                x >>= 1
            }
            if r < count { out.append(r) }
        }
        return out
    }

    /// `limit` of `count` positions, evenly spaced (all of them when `count <= limit`).
    static func even(_ count: Int, keeping limit: Int) -> [Int] {
        guard count > limit else { return Array(0..<count) }
        return (0..<limit).map { $0 * count / limit }
    }
}
