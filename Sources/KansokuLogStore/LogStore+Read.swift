public import KansokuCore

extension LogStore {
    /// Streams of `tenant` that satisfy all matchers (postings intersection, Prometheus
    /// semantics for `!=`, `!~` and matchers that match the empty string) and have data in
    /// `[from, through]`.
    public func streams(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [StreamInfo] {
        state.withLock { st in
            var seen = Set<UInt64>()
            var out: [StreamInfo] = []
            for p in st.periods.values where st.periodOverlaps(p.start, length: config.periodLength, from: from, through: through) {
                for id in p.matching(tenant: tenant, matchers) where !seen.contains(id) {
                    guard let s = p.streams[id], s.minTime <= through, s.maxTime >= from else { continue }
                    seen.insert(id)
                    out.append(StreamInfo(id: id, tenant: tenant, labels: s.labels))
                }
            }
            return out.sorted { $0.labels.description < $1.labels.description }
        }
    }

    /// The blocks of a stream overlapping `[from, through]`: stored blocks, compressed blocks not
    /// yet written and a snapshot of the head, ordered by time. A chunk whose meta cannot be
    /// read is skipped (and logged); reading its blocks is what reports corruption.
    public func blocks(tenant: String, stream: UInt64, from: Int64, through: Int64) -> [BlockRef] {
        var refs: [ChunkRef] = []
        var out: [BlockRef] = []
        state.withLock { st in
            var seenRefs = Set<ChunkRef>()
            for p in st.periods.values where st.periodOverlaps(p.start, length: config.periodLength, from: from, through: through) {
                guard let s = p.streams[stream], s.tenant == tenant else { continue }
                for c in s.chunks where c.minTime <= through && c.maxTime >= from && !seenRefs.contains(c) {
                    seenRefs.insert(c)
                    refs.append(c)
                }
            }
            guard let s = st.streams[stream], s.tenant == tenant else { return }
            func add(_ b: EncodedBlock, dictionary: DecodedBlock?) {
                guard b.minTime <= through && b.maxTime >= from else { return }
                out.append(BlockRef(stream: stream, minTime: b.minTime, maxTime: b.maxTime, entryCount: b.entryCount,
                                    rawSize: b.rawSize, source: .memory(b, dictionary: b.usesDictionary ? dictionary : nil),
                                    bloom: b.bloom))
            }
            for c in s.closing { for b in c.blocks { add(b, dictionary: c.dictionaryBlock) } }
            for slot in s.chunk.slots {
                switch slot {
                case .encoded(let b): add(b, dictionary: s.chunk.dictionaryBlock)
                case .pending(let d):
                    if !d.isEmpty && d.minTime <= through && d.maxTime >= from {
                        out.append(BlockRef(stream: stream, minTime: d.minTime, maxTime: d.maxTime, entryCount: d.count,
                                            rawSize: d.rawSize, source: .head(d), bloom: nil))
                    }
                }
            }
            if !s.head.isEmpty && s.head.minTime <= through && s.head.maxTime >= from {
                let d = s.head.sortedBlock()
                out.append(BlockRef(stream: stream, minTime: d.minTime, maxTime: d.maxTime, entryCount: d.count,
                                    rawSize: d.rawSize, source: .head(d), bloom: nil))
            }
        }
        var stored: [BlockRef] = []
        for ref in refs.sorted(by: { ($0.minTime, $0.file, $0.offset) < ($1.minTime, $1.file, $1.offset) }) {
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
                                       bloom: m.bloom))
            }
        }
        // Stored blocks come before in-memory ones at equal times: they were cut earlier.
        let all = stored + out
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
        case let .memory(b, dictionary):
            guard b.usesDictionary == (dictionary != nil) || !b.usesDictionary else {
                throw .corrupt(file: "memory", offset: 0, reason: "missing dictionary block")
            }
            let r: Result<DecodedBlock, PayloadError> = b.compressed.withUnsafeBytes {
                codec.decode(compressed: $0, payloadSize: b.payloadSize, prefix: b.usesDictionary ? dictionary : nil)
            }
            switch r {
            case .success(let d): return d
            case .failure(let e): throw .corrupt(file: "memory", offset: 0, reason: e.reason)
            }
        case let .disk(loc, payloadSize, dictionary, dictionaryPayload):
            return try reader.read(loc, payloadSize: payloadSize, dictionary: dictionary, dictionaryPayload: dictionaryPayload)
        }
    }

    /// Label names of `tenant`'s streams with data in `[from, through]`, sorted.
    public func labelNames(tenant: String, from: Int64, through: Int64) -> [String] {
        state.withLock { st in
            var names = Set<String>()
            for p in st.periods.values where st.periodOverlaps(p.start, length: config.periodLength, from: from, through: through) {
                for s in p.streams.values where s.tenant == tenant && s.minTime <= through && s.maxTime >= from {
                    for l in s.labels { names.insert(l.name) }
                }
            }
            return names.sorted()
        }
    }

    /// Values of label `name` over `tenant`'s streams that match `matchers` and have data in
    /// `[from, through]`, sorted.
    public func labelValues(tenant: String, name: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [String] {
        var values = Set<String>()
        for s in streams(tenant: tenant, matchers: matchers, from: from, through: through) {
            if let v = s.labels[name] { values.insert(v) }
        }
        return values.sorted()
    }
}
