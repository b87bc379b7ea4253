public import KansokuCore

extension LogStore {
    /// Streams of `tenant` that satisfy all matchers (postings intersection, Prometheus
    /// semantics for `!=`, `!~` and matchers that match the empty string) and have data in
    /// `[from, through]`, ordered by their labels' text.
    public func streams(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [StreamInfo] {
        let found = state.withLock { st in matchingStreams(st, tenant: tenant, matchers: matchers, from: from, through: through) }
        // Each stream's text is built once, not once per comparison.
        let keys = found.map(\.labels.description)
        return found.indices.sorted { keys[$0] < keys[$1] }.map { found[$0] }
    }

    /// Under the lock: the streams `streams` returns, in no particular order.
    func matchingStreams(_ st: StoreState, tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [StreamInfo] {
        let periods = st.periods.values.filter { st.periodOverlaps($0.start, length: config.periodLength, from: from, through: through) }
        var seen = Set<UInt64>()
        var out: [StreamInfo] = []
        for p in periods {
            for id in p.matching(tenant: tenant, matchers) {
                guard let s = p.streams[id], s.minTime <= through, s.maxTime >= from else { continue }
                if periods.count > 1 && !seen.insert(id).inserted { continue }
                out.append(StreamInfo(id: id, tenant: tenant, labels: s.labels))
            }
        }
        return out
    }

    /// Every stream `streams` returns with its blocks overlapping `[from, through]` (as
    /// `blocks` gives them), in one pass under the lock: a query over many small streams
    /// pays for the lock and the period lookups once, not once per stream. Streams come in
    /// no particular order.
    public func streamBlocks(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [(stream: StreamInfo, blocks: [BlockRef])] {
        streamBlocks(tenant: tenant, matchers: matchers, from: from, through: through) { ($0, $1) }
    }

    /// `streamBlocks`, each stream's answer handed to `transform` as it is made: a reader that
    /// wraps the refs builds its own list without a second one to copy and free.
    public func streamBlocks<T>(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64,
                                _ transform: (StreamInfo, [BlockRef]) -> T) -> [T] {
        var out: [T] = []
        forEachStreamBlocks(tenant: tenant, matchers: matchers, from: from, through: through) { info, refs, range in
            out.append(transform(info, range == refs.indices ? refs : Array(refs[range])))
        }
        return out
    }

    /// Hands `visit` every stream `streams` returns with its blocks overlapping `[from, through]`
    /// (as `blocks` gives them): `refs[range]`, in a buffer shared by a run of streams (copied
    /// on write if `visit` keeps it). Streams come in no particular order; `visit` runs outside
    /// the lock. No list of all streams and no array per stream: over 100,000 small streams
    /// those cost more than finding the blocks.
    ///
    /// `answered`, when given, first sees each stored chunk lying wholly inside `[from, through]`
    /// whose index entry says it has no structured metadata, as facts, just before its stream
    /// is visited; a chunk it answers (returning true) is neither opened nor listed. Counting
    /// queries over many small chunks then read no chunk metas.
    public func forEachStreamBlocks(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64,
                                    answered: ((StreamInfo, BlockFacts) -> Bool)? = nil,
                                    _ visit: (StreamInfo, [BlockRef], Range<Int>) -> Void) {
        let infos = state.withLock { st in matchingStreams(st, tenant: tenant, matchers: matchers, from: from, through: through) }
        var run: [BlockRef] = []
        var ranges: [Range<Int>] = []
        // Streams with chunks on disk have their metas read outside the lock.
        var stored: [(at: Int, chunks: [ChunkRef])] = []
        var start = 0
        while start < infos.count {
            let end = min(infos.count, start + 1024)
            run.removeAll(keepingCapacity: true)
            ranges.removeAll(keepingCapacity: true)
            stored.removeAll(keepingCapacity: true)
            state.withLock { st in
                for i in start..<end {
                    let first = run.count
                    let chunks = collectBlocks(st, tenant: tenant, stream: infos[i].id, from: from, through: through, into: &run)
                    ranges.append(first..<run.count)
                    if !chunks.isEmpty { stored.append((i - start, chunks)) }
                }
            }
            var next = 0
            for (k, i) in (start..<end).enumerated() {
                if next < stored.count, stored[next].at == k {
                    var chunks = stored[next].chunks
                    next += 1
                    if let answered {
                        chunks.removeAll { c in
                            c.withoutMetadata && c.minTime >= from && c.maxTime <= through && answered(infos[i], c.facts)
                        }
                    }
                    let all = resolve(FoundBlocks(refs: chunks, memory: Array(run[ranges[k]])), stream: infos[i].id, from: from, through: through)
                    visit(infos[i], all, all.indices)
                } else if ranges[k].count > 1 {
                    // Several blocks held in memory (a closing chunk's among them) are put in time order.
                    let all = resolve(FoundBlocks(refs: [], memory: Array(run[ranges[k]])), stream: infos[i].id, from: from, through: through)
                    visit(infos[i], all, all.indices)
                } else {
                    visit(infos[i], run, ranges[k])
                }
            }
            start = end
        }
    }

    /// The blocks of a stream overlapping `[from, through]`: stored blocks, compressed blocks not
    /// yet written and a snapshot of the head, ordered by time. A chunk whose meta cannot be
    /// read is skipped (and logged); reading its blocks is what reports corruption.
    public func blocks(tenant: String, stream: UInt64, from: Int64, through: Int64) -> [BlockRef] {
        var memory: [BlockRef] = []
        let chunks = state.withLock { st in collectBlocks(st, tenant: tenant, stream: stream, from: from, through: through, into: &memory) }
        return resolve(FoundBlocks(refs: chunks, memory: memory), stream: stream, from: from, through: through)
    }

    /// A stream's blocks as found under the lock: chunk refs still to be opened, and the
    /// blocks held in memory.
    struct FoundBlocks {
        var refs: [ChunkRef] = []
        var memory: [BlockRef] = []
    }

    /// Appends the stream's blocks held in memory to `memory` and returns its chunk refs,
    /// still to be opened.
    func collectBlocks(_ st: StoreState, tenant: String, stream: UInt64, from: Int64, through: Int64,
                       into memory: inout [BlockRef]) -> [ChunkRef] {
        var chunks: [ChunkRef] = []
        var periods = 0
        for p in st.periods.values where st.periodOverlaps(p.start, length: config.periodLength, from: from, through: through) {
            guard let s = p.streams[stream], s.tenant == tenant else { continue }
            periods += 1
            for c in s.chunks where c.minTime <= through && c.maxTime >= from { chunks.append(c) }
        }
        if periods > 1 {
            // A chunk spanning periods is listed in each of them.
            var seen = Set<ChunkRef>()
            chunks = chunks.filter { seen.insert($0).inserted }
        }
        // Fields are read through the slot: copying the whole stream state would retain each
        // of its buffers, a cache miss apiece over many streams.
        guard let i = st.streams.slot(of: stream), st.streams[slot: i].tenant == tenant else { return chunks }
        func add(_ b: EncodedBlock, prefix: ChunkPrefix?) {
            guard b.minTime <= through && b.maxTime >= from else { return }
            memory.append(BlockRef(stream: stream, minTime: b.minTime, maxTime: b.maxTime, entryCount: b.entryCount,
                                   rawSize: b.rawSize, source: .memory(b, prefix: b.usesDictionary ? prefix : nil),
                                   bloom: b.bloom, withoutMetadata: b.withoutMetadata))
        }
        for c in st.streams[slot: i].closing { for b in c.blocks { add(b, prefix: c.prefix) } }
        for slot in st.streams[slot: i].chunk.slots {
            switch slot {
            case .encoded(let b): add(b, prefix: st.streams[slot: i].chunk.prefix)
            case .pending(let d):
                if !d.isEmpty && d.minTime <= through && d.maxTime >= from {
                    memory.append(BlockRef(stream: stream, minTime: d.minTime, maxTime: d.maxTime, entryCount: d.count,
                                           rawSize: d.rawSize, source: .head(d), bloom: nil, withoutMetadata: d.metadata.isEmpty))
                }
            }
        }
        let head = st.streams[slot: i].head
        if !head.isEmpty && head.minTime <= through && head.maxTime >= from {
            memory.append(BlockRef(stream: stream, minTime: head.minTime, maxTime: head.maxTime, entryCount: head.count,
                                   rawSize: head.rawSize, source: .live(head), bloom: nil, withoutMetadata: head.metadata.isEmpty))
        }
        return chunks
    }

    /// Opens the chunk refs (their block metas, cached) and orders all blocks by time.
    func resolve(_ found: FoundBlocks, stream: UInt64, from: Int64, through: Int64) -> [BlockRef] {
        if found.refs.isEmpty && found.memory.count <= 1 { return found.memory }
        var stored: [BlockRef] = []
        for ref in found.refs.sorted(by: { ($0.minTime, $0.file, $0.offset) < ($1.minTime, $1.file, $1.offset) }) {
            let metas: [BlockMeta]
            do throws(LogStoreError) {
                metas = try reader.blockMetas(ref)
            } catch {
                logger.error("cannot read chunk meta", metadata: ["error": "\(error)"])
                continue
            }
            let first = metas.first.map { DiskBlockLocation(file: ref.file, offset: $0.offset, length: $0.length) }
            for m in metas where m.minTime <= through && m.maxTime >= from {
                stored.append(BlockRef(stream: stream, minTime: m.minTime, maxTime: m.maxTime, entryCount: m.entryCount,
                                       rawSize: m.rawSize,
                                       source: .disk(DiskBlockLocation(file: ref.file, offset: m.offset, length: m.length),
                                                     payloadSize: m.payloadSize,
                                                     dictionary: m.usesDictionary ? first : nil,
                                                     dictionaryPayload: metas.first?.payloadSize ?? 0),
                                       bloom: m.bloom, withoutMetadata: m.withoutMetadata))
            }
        }
        // Stored blocks come before in-memory ones at equal times: they were cut earlier.
        let all = stored + found.memory
        return all.indices.sorted { (all[$0].minTime, $0) < (all[$1].minTime, $1) }.map { all[$0] }
    }

    /// Whether the block may contain `literal` (token filter check); true when unsure.
    public func mayContain(_ block: BlockRef, literal: [UInt8], caseInsensitive: Bool) -> Bool {
        guard let bloom = block.bloom else { return true }
        return literal.withUnsafeBytes { bloom.mayContain($0, caseInsensitive: caseInsensitive) }
    }

    /// Decodes a block, verifying its CRC32C: a damaged stored block throws
    /// `checksumMismatch` naming the file and the block's offset.
    public func readBlock(_ block: BlockRef) throws(LogStoreError) -> DecodedBlock {
        switch block.source {
        case .head(let d):
            return d
        case .live(let head):
            return head.sortedBlock()
        case let .memory(b, prefix):
            return try decodeInMemory(b, prefix: prefix) { codec.decode(compressed: $0, payloadSize: b.payloadSize, prefixPayload: $1) }
        case let .disk(loc, payloadSize, dictionary, dictionaryPayload):
            return try reader.read(loc, payloadSize: payloadSize, dictionary: dictionary, dictionaryPayload: dictionaryPayload)
        }
    }

    /// Verifies and decodes a block like `readBlock`, into reused buffers, and lends its
    /// entries to `body`: what scans use, since they allocate nothing per block this way.
    public func withBlock<R>(_ block: BlockRef, _ body: (BorrowedBlock) -> R) throws(LogStoreError) -> R {
        switch block.source {
        case .head(let d):
            return d.borrow(body)
        case .live(let head):
            return codec.withHead(head, body)
        case let .memory(b, prefix):
            return try decodeInMemory(b, prefix: prefix) {
                codec.withDecoded(compressed: $0, payloadSize: b.payloadSize, prefixPayload: $1, body)
            }
        case let .disk(loc, payloadSize, dictionary, dictionaryPayload):
            return try reader.withBlock(loc, payloadSize: payloadSize, dictionary: dictionary, dictionaryPayload: dictionaryPayload, body)
        }
    }

    /// Hands a compressed block of a chunk not yet written, with its chunk's prefix payload
    /// when it decodes against one, to `decode`.
    private func decodeInMemory<R>(_ b: EncodedBlock, prefix: ChunkPrefix?,
                                   _ decode: (UnsafeRawBufferPointer, UnsafeRawBufferPointer?) -> Result<R, PayloadError>) throws(LogStoreError) -> R {
        guard !b.usesDictionary || prefix != nil else {
            throw .corrupt(file: "memory", offset: 0, reason: "missing dictionary block")
        }
        let r = b.compressed.withUnsafeBytes { decode($0, b.usesDictionary ? prefix?.payload.bytes : nil) }
        switch r {
        case .success(let v): return v
        case .failure(let e): throw .corrupt(file: "memory", offset: 0, reason: e.reason)
        }
    }

    /// Label names of `tenant`'s streams with data in `[from, through]`, sorted.
    public func labelNames(tenant: String, from: Int64, through: Int64) -> [String] {
        state.withLock { st in
            var names = Set<String>()
            for p in st.periods.values where st.periodOverlaps(p.start, length: config.periodLength, from: from, through: through) {
                p.labelNames(tenant: tenant, from: from, through: through, into: &names)
            }
            return names.sorted()
        }
    }

    /// Values of label `name` over `tenant`'s streams that match `matchers` and have data in
    /// `[from, through]`, sorted. Answered from the periods' postings.
    public func labelValues(tenant: String, name: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [String] {
        var values: [String] = []
        var periods = 0
        var presorted = false
        state.withLock { st in
            for start in st.periods.keys where st.periodOverlaps(start, length: config.periodLength, from: from, through: through) {
                periods += 1
                // A period wholly inside the range, without matchers, answers with all its
                // values: sorted once and kept until a new one arrives.
                if matchers.isEmpty, st.periods[start]!.within(from: from, through: through) {
                    let sorted = st.periods[start]!.sortedValues(tenant: tenant, name: name)
                    presorted = values.isEmpty
                    values.append(contentsOf: sorted)
                } else {
                    st.periods[start]!.labelValues(tenant: tenant, name: name, matchers: matchers, from: from, through: through, into: &values)
                    presorted = false
                }
            }
        }
        if periods == 1 && presorted { return values }
        values.sort()
        if periods > 1 { values = values.enumerated().compactMap { i, v in i > 0 && values[i - 1] == v ? nil : v } }
        return values
    }
}
