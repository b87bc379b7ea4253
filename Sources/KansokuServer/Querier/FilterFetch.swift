import KansokuCore
import KansokuLogStore

/// A bucket chunk a query reads, with its blocks as its meta section describes them.
struct BucketChunk {
    /// A segment filter index object in the bucket (`SegmentFilterIndex`).
    struct FilterIndex: Hashable {
        let key: String
        let size: Int
    }

    let labels: Labels
    /// The segment object's key.
    let object: String
    /// The chunk's offset in the segment.
    let offset: Int64
    /// The filter index beside the chunk's segment, when the bucket has one.
    let filterIndex: FilterIndex?
    var chunk: StoredChunk
}

/// Fills in the token filter partitions a query's literals need, for chunks whose filters are
/// stored partitioned: from the segments' filter indexes (16 ranged GETs per segment for a
/// literal), and for chunks without one from the chunks themselves (16 per chunk). A partition
/// that cannot be fetched or does not check out stays unknown: its blocks are read, not skipped.
struct FilterFetch {
    let fetcher: RangeFetcher

    /// The most filter partitions one query fetches (of 256): each is 1/256 of the filters.
    static let maxPartitions = 48

    /// Whether any partition was fetched (the query's blocks should be chosen again).
    func fill(_ chunks: inout [BucketChunk], for literals: [RangeRecorder.Literal]) async -> Bool {
        var partitions: [Int] = []
        for l in literals.sorted(by: { $0.bytes.lexicographicallyPrecedes($1.bytes) }) {
            for p in FilterPartitions.partitions(for: l.bytes, caseInsensitive: l.caseInsensitive)
            where partitions.count < Self.maxPartitions && !partitions.contains(p) { partitions.append(p) }
        }
        let partitioned = chunks.indices.filter { chunks[$0].chunk.filterRange(0) != nil }
        guard !partitions.isEmpty, !partitioned.isEmpty else { return false }

        var filled = Set<Int>()
        let indexes = await segmentIndexes(Set(partitioned.compactMap { chunks[$0].filterIndex }))
        if !indexes.isEmpty {
            var wanted: [RangeKey: FetchKind] = [:]
            for (key, index) in indexes { for p in partitions { wanted[RangeKey(key: key, range: index.rowRange(p))] = .filter } }
            // Each row checked once, then shared out to the chunks it holds.
            let rows = await fetcher.fetch(wanted).bytes.filter { key, row in indexes[key.key]?.verify(row: row) ?? false }
            for i in partitioned {
                guard let f = chunks[i].filterIndex, let index = indexes[f.key] else { continue }
                var all = true
                for p in partitions {
                    guard let row = rows[RangeKey(key: f.key, range: index.rowRange(p))],
                          index.fill(&chunks[i].chunk, at: chunks[i].offset, partition: p, verifiedRow: row) else { all = false; continue }
                }
                if all { filled.insert(i) }
            }
        }

        // Chunks the indexes did not cover: their own partitions (refilling any already filled
        // from an index is harmless, the bits are the same).
        var wanted: [RangeKey: FetchKind] = [:]
        for i in partitioned where !filled.contains(i) {
            for p in partitions { if let r = chunks[i].chunk.filterRange(p) { wanted[RangeKey(key: chunks[i].object, range: r)] = .filter } }
        }
        guard !wanted.isEmpty else { return true }
        let fetched = await fetcher.fetch(wanted).bytes
        for i in partitioned where !filled.contains(i) {
            for p in partitions {
                if let r = chunks[i].chunk.filterRange(p), let bytes = fetched[RangeKey(key: chunks[i].object, range: r)] {
                    _ = chunks[i].chunk.fillFilters(partition: p, bytes: bytes)
                }
            }
        }
        return true
    }

    /// The directories of segment filter indexes, by object key; those that cannot be read
    /// are left out.
    private func segmentIndexes(_ objects: Set<BucketChunk.FilterIndex>) async -> [String: SegmentFilterIndex] {
        let valid = objects.filter { $0.size >= SegmentFilterIndex.footerSize }
        let footerRange = { (o: BucketChunk.FilterIndex) in Int64(o.size - SegmentFilterIndex.footerSize)..<Int64(o.size) }
        let footers = await fetcher.fetch(valid.map { RangeKey(key: $0.key, range: footerRange($0)) }, kind: .filter).bytes
        var directories: [String: (range: RangeKey, footer: [UInt8])] = [:]
        for o in valid {
            guard let footer = footers[RangeKey(key: o.key, range: footerRange(o))],
                  let range = try? SegmentFilterIndex.directoryRange(footer: footer, size: o.size, name: o.key) else { continue }
            directories[o.key] = (RangeKey(key: o.key, range: range), footer)
        }
        let fetched = await fetcher.fetch(directories.values.map(\.range), kind: .filter).bytes
        var out: [String: SegmentFilterIndex] = [:]
        for (key, d) in directories {
            guard let bytes = fetched[d.range], let index = try? SegmentFilterIndex(directory: bytes, footer: d.footer, name: key) else { continue }
            out[key] = index
        }
        return out
    }
}
