import KansokuCore
#if canImport(Glibc)
import Glibc
#endif

/// What one compaction pass did.
public struct CompactionReport: Sendable, Equatable {
    public var chunksMerged = 0
    public var chunksWritten = 0
    public var entries = 0
    public var filesDeleted = 0
}

/// One stream's small chunks of one period, to be rewritten as few full ones.
struct CompactionJob: Sendable {
    var period: Int64
    var stream: UInt64
    var old: [ChunkRef]
    var blocks: [[EncodedBlock]] = []
}

extension LogStore {
    /// Merges each stream's small stored chunks into full ones (DESIGN: "compaction merges small
    /// chunks"). Quiet streams close a chunk at `maxChunkAge` however little it holds; many small
    /// chunks mean more metadata to read per query and zstd frames with little context.
    ///
    /// A stream qualifies in a period when it has at least `minChunks` chunks under half the
    /// target size lying wholly inside the period (each then has one index entry). Their entries
    /// are re-cut into blocks and chunks in time order, written and synced, and only then does
    /// the period index swap to them, atomically. Segment files no index refers to any more are
    /// deleted once `grace` has passed, so queries already reading them finish. A crash at any
    /// point loses nothing: before the swap the old chunks are live, after it the new ones.
    public func compact(minChunks: Int = 4, grace: Int64 = 300_000_000_000, now: Int64? = nil) async throws(LogStoreError) -> CompactionReport {
        let now = now ?? TimeParser.currentNanos()
        var report = CompactionReport()
        // Rewritten chunks wait in memory only until ~2 MiB of them are ready to install. Their
        // blocks are arena-sized allocations made while ingestion keeps allocating beside
        // them: with 16 MiB batches glibc's arenas grew from 88 to 160 MB during a pass and
        // kept much of it resident afterwards; with 2 MiB, to 117 MB.
        var ready: [CompactionJob] = []
        var readyBytes = 0
        func installReady() async throws(LogStoreError) {
            let batch = ready
            ready = []
            readyBytes = 0
            let result = await segments.run { () -> Result<CompactionReport, LogStoreError> in
                Result { () throws(LogStoreError) -> CompactionReport in try self.install(batch, now: now, grace: grace) }
            }
            let installed = try result.get()
            report.chunksMerged += installed.chunksMerged
            report.chunksWritten += installed.chunksWritten
            report.filesDeleted += installed.filesDeleted
        }
        for var job in plannedCompactions(minChunks: max(2, minChunks)) {
            do throws(LogStoreError) {
                job.blocks = try rewrite(job.old, entries: &report.entries)
            } catch {
                logger.error("compaction skipped a stream: its chunks could not be read", metadata: ["error": "\(error)"])
                continue
            }
            ready.append(job)
            readyBytes += job.blocks.joined().reduce(0) { $0 + $1.compressed.count }
            if readyBytes >= 2 << 20 { try await installReady() }
        }
        // Also when nothing was merged: retired files may be due for deletion.
        try await installReady()
        // The pass freed its decoded blocks; hand the pages back instead of keeping them in
        // malloc's arenas until the next pass.
        MemoryTuning.releaseFreeMemory()
        if report.chunksMerged > 0 || report.filesDeleted > 0 {
            logger.info("compacted log chunks", metadata: ["merged": "\(report.chunksMerged)", "written": "\(report.chunksWritten)",
                                                          "filesDeleted": "\(report.filesDeleted)"])
        }
        return report
    }

    func plannedCompactions(minChunks: Int) -> [CompactionJob] {
        let small = config.chunkTargetSize / 2
        // A merged group stays well inside memory: at most this many raw bytes per job (decoded
        // at once, with an index entry per line).
        let maxRaw = 16 << 20
        return state.withLock { st in
            var jobs: [CompactionJob] = []
            for (start, p) in st.periods {
                let folder = SegmentFiles.periodFolder(start) + "/"
                for (id, s) in p.streams {
                    let candidates = s.chunks.filter {
                        $0.length < small && $0.file.hasPrefix(folder)
                            && st.periodStart($0.minTime, length: config.periodLength) == start
                            && st.periodStart($0.maxTime, length: config.periodLength) == start
                    }.sorted { ($0.minTime, $0.file, $0.offset) < ($1.minTime, $1.file, $1.offset) }
                    guard candidates.count >= minChunks else { continue }
                    var group: [ChunkRef] = [], raw = 0
                    for c in candidates {
                        if raw + c.rawSize > maxRaw && group.count >= 2 {
                            jobs.append(CompactionJob(period: start, stream: id, old: group))
                            group = []
                            raw = 0
                        }
                        group.append(c)
                        raw += c.rawSize
                    }
                    if group.count >= 2 { jobs.append(CompactionJob(period: start, stream: id, old: group)) }
                }
            }
            return jobs
        }
    }

    /// The entries of `refs` in time order (ties keep chunk order), cut into blocks of
    /// `blockSize` and grouped into chunks of up to `chunkTargetSize`, each with its prefix.
    func rewrite(_ refs: [ChunkRef], entries: inout Int) throws(LogStoreError) -> [[EncodedBlock]] {
        var blocks: [(location: DiskBlockLocation, meta: BlockMeta, first: DiskBlockLocation?, firstPayload: Int)] = []
        // The chunks are about to be replaced: their metas and prefixes stay out of the caches.
        let prefixSlot = PrefixSlot()
        for ref in refs {
            let metas = try reader.blockMetas(ref, cache: false)
            let first = metas.first.map { DiskBlockLocation(file: ref.file, offset: $0.offset, length: $0.length) }
            for m in metas {
                blocks.append((DiskBlockLocation(file: ref.file, offset: m.offset, length: m.length), m,
                               m.usesDictionary ? first : nil, metas.first?.payloadSize ?? 0))
            }
        }
        var out = ChunkRewriter(codec: codec, blockSize: config.blockSize, chunkTargetSize: config.chunkTargetSize)
        if zip(blocks, blocks.dropFirst()).allSatisfy({ $0.meta.maxTime <= $1.meta.minTime }) {
            // Blocks that follow each other in time (a stream's chunks, closed one after
            // another) are in time order already: each is decoded into a reused buffer and
            // copied entry by entry. Only overlapping chunks need what follows: every decoded
            // block of the job (up to 16 MB of lines) held at once and sorted entry by entry.
            for b in blocks {
                let copied = try reader.withBlock(b.location, payloadSize: b.meta.payloadSize, dictionary: b.first,
                                                  dictionaryPayload: b.firstPayload, prefixSlot: prefixSlot) { block in
                    Result { () throws(LogStoreError) in
                        for e in 0..<block.count {
                            try out.append(block.timestamps[e], block.lines[e], block.metadata.isEmpty ? Labels() : block.metadata[e])
                        }
                        return block.count
                    }
                }
                entries += try copied.get()
            }
            return try out.finish()
        }
        var decoded: [DecodedBlock] = []
        for b in blocks {
            decoded.append(try reader.read(b.location, payloadSize: b.meta.payloadSize, dictionary: b.first, dictionaryPayload: b.firstPayload,
                                           prefixSlot: prefixSlot))
        }
        var order: [(t: Int64, block: Int, entry: Int)] = []
        for (b, d) in decoded.enumerated() { for e in 0..<d.count { order.append((d.timestamps[e], b, e)) } }
        order.sort { ($0.t, $0.block, $0.entry) < ($1.t, $1.block, $1.entry) }
        entries += order.count
        for o in order {
            let d = decoded[o.block]
            try d.lineBytes.withUnsafeBytes { bytes in
                Result { () throws(LogStoreError) in
                    try out.append(o.t, UnsafeRawBufferPointer(rebasing: bytes[d.lineStarts[o.entry]..<d.lineStarts[o.entry + 1]]),
                                   d.metadata.isEmpty ? Labels() : d.metadata[o.entry])
                }
            }.get()
        }
        return try out.finish()
    }

    /// On the segment queue (no flush runs meanwhile): writes and syncs the new chunks, swaps
    /// the indexes, then retires and deletes segment files nothing refers to.
    func install(_ jobs: [CompactionJob], now: Int64, grace: Int64) throws(LogStoreError) -> CompactionReport {
        var report = CompactionReport()
        var written: [(CompactionJob, [ChunkRef])] = []
        for job in jobs {
            var refs: [ChunkRef] = []
            guard let tenant = state.withLock({ $0.periods[job.period]?.streams[job.stream]?.tenant }) else { continue }
            for blocks in job.blocks {
                let bytes = ChunkFormat.encode(stream: job.stream, blocks: blocks)
                let (file, offset) = try segments.append(bytes, period: job.period, tenant: tenant)
                refs.append(ChunkRef(file: file, offset: offset, length: bytes.count,
                                     minTime: blocks.map(\.minTime).min() ?? 0, maxTime: blocks.map(\.maxTime).max() ?? 0,
                                     entries: blocks.reduce(0) { $0 + $1.entryCount }, rawSize: blocks.reduce(0) { $0 + $1.rawSize },
                                     withoutMetadata: blocks.allSatisfy(\.withoutMetadata)))
            }
            written.append((job, refs))
        }
        if !written.isEmpty && config.fsync != .never { try segments.syncAll() }
        let periodFolders = Set(state.withLock { Array($0.periods.keys) }.map(SegmentFiles.periodFolder))
        let (dirty, referenced): ([(start: Int64, index: PeriodIndex)], Set<String>) = state.withLock { st in
            for (job, refs) in written {
                // Retention may have taken the period meanwhile: then the new chunks are orphans.
                guard let s = st.periods[job.period]?.streams[job.stream], job.old.allSatisfy(s.chunks.contains) else { continue }
                st.periods[job.period]?.streams[job.stream]?.chunks.removeAll { job.old.contains($0) }
                for r in refs { st.periods[job.period]?.addChunk(id: job.stream, ref: r, mark: nil) }
                report.chunksMerged += job.old.count
                report.chunksWritten += refs.count
            }
            let out = st.takeDirtyIndexes()
            var files = Set<String>()
            for p in st.periods.values { for s in p.streams.values { for c in s.chunks { files.insert(c.file) } } }
            return (out, files)
        }
        try persistIndexes(dirty)
        // Unreferenced segment files (merged away, or left by a crash before their index write:
        // that data was replayed from the WAL into other chunks) are retired, then deleted.
        var unreferenced: [String] = []
        for folder in periodFolders {
            let names = (try? FileIO.listDirectory(config.directory + "/" + folder)) ?? []
            for n in names where n.hasSuffix(".seg") {
                let rel = folder + "/" + n
                if !referenced.contains(rel) && !segments.isOpenForAppend(rel) { unreferenced.append(rel) }
            }
        }
        let due: [String] = state.withLock { st in
            st.retiredFiles = st.retiredFiles.filter { unreferenced.contains($0.key) }
            for f in unreferenced where st.retiredFiles[f] == nil { st.retiredFiles[f] = now }
            let due = st.retiredFiles.filter { now &- $0.value >= grace }.map(\.key)
            for f in due { st.retiredFiles[f] = nil }
            return due
        }
        for f in due.sorted() {
            reader.forget(prefix: f)
            // Its filter index first: one left without its segment would never be deleted.
            if let index = SegmentFilterIndex.path(ofSegment: f), (try? FileIO.fileSize(path: config.directory + "/" + index)) != nil {
                do throws(FileIOError) { try FileIO.removeFile(config.directory + "/" + index) } catch { throw .io(error) }
            }
            do throws(FileIOError) { try FileIO.removeFile(config.directory + "/" + f) } catch { throw .io(error) }
            report.filesDeleted += 1
        }
        for folder in Set(due.map { FileIO.parent(of: $0) }) {
            do throws(FileIOError) { try FileIO.fsyncDirectory(config.directory + "/" + folder) } catch { throw .io(error) }
        }
        return report
    }
}
