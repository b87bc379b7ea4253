import KansokuCore
import Logging
import Synchronization

/// The persisted blocks of a store, oldest first, with compaction and retention.
final class BlockSet: Sendable {
    let directory: String
    private let list: Mutex<[Block]>

    private init(directory: String, blocks: [Block]) {
        self.directory = directory
        list = Mutex(blocks.sorted { $0.minTime < $1.minTime })
    }

    /// Opens every block in `directory`; deletes half-written ones and blocks a finished
    /// compaction replaced (a crash between writing the result and deleting its parents).
    static func load(_ directory: String, logger: Logger) throws(MetricStoreError) -> BlockSet {
        var blocks: [Block] = []
        let names: [String]
        do throws(FileIOError) { names = try FileIO.listDirectory(directory) } catch { throw .io(error) }
        for name in names where name != "wal" {
            let path = directory + "/" + name
            guard FileIO.isDirectory(path) else { continue }
            if name.hasSuffix(".tmp") {
                try? FileIO.removeTree(path)
                continue
            }
            guard FileIO.exists(path + "/meta.json") else { continue }
            blocks.append(try Block(path: path))
        }
        let replaced = Set(blocks.flatMap { $0.meta.compaction.parents ?? [] })
        for b in blocks where replaced.contains(b.ulid) {
            logger.info("deleting block replaced by compaction", metadata: ["block": "\(b.ulid)"])
            try? FileIO.removeTree(b.path)
        }
        return BlockSet(directory: directory, blocks: blocks.filter { !replaced.contains($0.ulid) })
    }

    var snapshot: [Block] { list.withLock { $0 } }
    var count: Int { list.withLock { $0.count } }
    var maxTime: Int64 { list.withLock { $0.map(\.maxTime).max() ?? .min } }

    /// The head accepts no sample before the newest block cut from it.
    var headMinValidTime: Int64 {
        list.withLock { $0.filter { $0.meta.origin == .head }.map(\.maxTime).max() ?? .min }
    }

    func add(_ b: Block) {
        list.withLock {
            $0.append(b)
            $0.sort { $0.minTime < $1.minTime }
        }
    }

    private func replace(_ old: [Block], with new: Block?) {
        let gone = Set(old.map(\.ulid))
        list.withLock {
            $0.removeAll { gone.contains($0.ulid) }
            if let new { $0.append(new) }
            $0.sort { $0.minTime < $1.minTime }
        }
        for b in old { try? FileIO.removeTree(b.path) }
    }

    // MARK: retention

    /// Deletes blocks whose data all lies before `cutoff`.
    func applyRetention(before cutoff: Int64, logger: Logger) throws(MetricStoreError) -> Int {
        let expired = list.withLock { $0.filter { $0.maxTime <= cutoff } }
        guard !expired.isEmpty else { return 0 }
        for b in expired { logger.info("block past retention deleted", metadata: ["block": "\(b.ulid)"]) }
        replace(expired, with: nil)
        return expired.count
    }

    // MARK: compaction

    /// Merges overlapping blocks, then adjacent blocks into the configured ranges (2h → 6h →
    /// 18h …) once the head has moved past a range. Returns how many merges ran.
    func compact(config: MetricStoreConfig, logger: Logger, headMinTime: Int64) throws(MetricStoreError) -> Int {
        var merges = 0
        while let group = plan(ranges: config.compactionRanges, headMinTime: headMinTime) {
            let merged = try merge(group, format: config.sealedChunkFormat)
            logger.info("blocks compacted", metadata: [
                "sources": "\(group.map(\.ulid))", "into": "\(merged.ulid)",
                "minT": "\(merged.minTime)", "maxT": "\(merged.maxTime)",
            ])
            replace(group, with: merged)
            merges += 1
        }
        return merges
    }

    private func plan(ranges: [Int64], headMinTime: Int64) -> [Block]? {
        let blocks = snapshot
        // Overlaps first (imported history, or a crash replay): vertical merge.
        var group: [Block] = []
        var groupMax = Int64.min
        for b in blocks {
            if !group.isEmpty && b.minTime < groupMax {
                group.append(b)
            } else {
                if group.count > 1 { return group }
                group = [b]
            }
            groupMax = max(groupMax, b.maxTime)
        }
        if group.count > 1 { return group }
        for r in ranges.dropFirst() {
            var windows: [Int64: [Block]] = [:]
            for b in blocks {
                let start = MemSeries.rangeEnd(b.minTime, r) - r
                if b.maxTime <= start + r { windows[start, default: []].append(b) }
            }
            for start in windows.keys.sorted() {
                let members = windows[start]!
                guard members.count > 1 else { continue }
                let end = start + r
                let closed = end <= headMinTime || blocks.contains { $0.minTime >= end }
                if closed { return members }
            }
        }
        return nil
    }

    /// Writes one block holding every series of `sources`; chunks are copied when the
    /// sources do not overlap, merged sample by sample when they do.
    func merge(_ sources: [Block], format: SealedChunkFormat) throws(MetricStoreError) -> Block {
        var bySeries: [Labels: [(Int, Block.SeriesEntry)]] = [:]
        for (i, b) in sources.enumerated() {
            for id in b.allPostings() {
                guard let e = b.series(id) else { throw .corrupted(path: b.path, reason: "series \(id) unreadable") }
                bySeries[e.labels, default: []].append((i, e))
            }
        }
        let minT = sources.map(\.minTime).min()!
        let maxT = sources.map(\.maxTime).max()!
        let origin: BlockOrigin = sources.contains { $0.meta.origin == .head } ? .head : .import
        let w = try BlockWriter(
            directory: directory, minT: minT, maxT: maxT, origin: origin,
            level: (sources.map(\.meta.compaction.level).max() ?? 1) + 1,
            sources: Array(Set(sources.flatMap(\.meta.compaction.sources))).sorted(),
            parents: sources.map(\.ulid), format: format)
        do throws(MetricStoreError) {
            for labels in bySeries.keys.sorted(by: labelsLess) {
                let parts = bySeries[labels]!.sorted { $0.1.chunks.first!.minT < $1.1.chunks.first!.minT }
                var chunks: [ChunkMeta] = []
                var overlapping = false
                var last = Int64.min
                for (_, e) in parts {
                    for c in e.chunks {
                        if c.minT <= last { overlapping = true }
                        last = max(last, c.maxT)
                    }
                }
                if !overlapping {
                    for (i, e) in parts {
                        for c in e.chunks { chunks.append(try sources[i].chunk(c.ref, minT: c.minT, maxT: c.maxT)) }
                    }
                } else {
                    var samples: [Sample] = []
                    for (i, e) in parts { sources[i].samples(of: e, from: .min, through: .max, into: &samples) }
                    chunks = BlockSet.rechunk(BlockSet.sortedUnique(samples))
                }
                try w.add(labels, chunks)
            }
            return try w.finish()
        } catch {
            w.abandon()
            throw error
        }
    }

    /// Sorts by time; of several samples at one time the first wins.
    static func sortedUnique(_ samples: [Sample]) -> [Sample] {
        var s = samples
        var sorted = true
        for i in s.indices.dropFirst() where s[i - 1].t >= s[i].t {
            sorted = false
            break
        }
        if sorted { return s }
        s = s.enumerated().sorted { $0.element.t != $1.element.t ? $0.element.t < $1.element.t : $0.offset < $1.offset }.map(\.element)
        var out: [Sample] = []
        out.reserveCapacity(s.count)
        for x in s where out.last?.t != x.t { out.append(x) }
        return out
    }

    /// Encodes time-sorted samples into chunks of 120.
    static func rechunk(_ samples: [Sample]) -> [ChunkMeta] {
        var out: [ChunkMeta] = []
        var i = 0
        while i < samples.count {
            let j = min(i + MemSeries.samplesPerChunk, samples.count)
            out.append(ChunkMeta(minT: samples[i].t, maxT: samples[j - 1].t, bytes: XORChunk.encode(samples[i..<j])))
            i = j
        }
        return out
    }
}
