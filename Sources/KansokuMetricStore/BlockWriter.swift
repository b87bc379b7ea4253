import KansokuCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A chunk on its way into a block.
struct ChunkMeta: Sendable {
    var minT: Int64
    var maxT: Int64
    var bytes: [UInt8]
    var encoding: UInt8 = ChunkEncoding.xor
}

/// Prometheus's label-set order: pairwise by name then value, shorter set first on a tie.
func labelsLess(_ a: Labels, _ b: Labels) -> Bool {
    let n = min(a.count, b.count)
    for i in 0..<n {
        let x = a[i], y = b[i]
        if x.name != y.name { return x.name < y.name }
        if x.value != y.value { return x.value < y.value }
    }
    return a.count < b.count
}

/// Writes one immutable block directory (see FORMAT.md): chunks stream into
/// `chunks/000001…`, the index and `meta.json` follow at `finish()`, then the directory is
/// renamed from `<ulid>.tmp` into place, so a block is either whole or absent. Chunks are
/// stored in the block's format whatever encoding they come in: XOR in version 1 segments,
/// decimal-delta in the zstd frames of version 2 segments.
final class BlockWriter {
    static let chunksMagic: UInt32 = 0x85BD_40DD
    static let indexMagic: UInt32 = 0x4B53_4958  // "KSIX"
    static let maxSegmentSize = 512 << 20

    let parent: String
    let ulid: String
    let tmp: String
    var meta: BlockMeta
    private var fd: Int32 = -1
    private var segment = 0
    private var segmentSize = 0
    private var buffer: [UInt8] = []
    private var series: [(labels: Labels, chunks: [(minT: Int64, maxT: Int64, ref: UInt64)])] = []
    private var lastLabels: Labels?
    /// Set for version 2 segments.
    private let zstd: ZstdCompressor?
    private var frames = ChunkFrameBuilder()
    private var decoded: [Sample] = []

    init(directory: String, minT: Int64, maxT: Int64, origin: BlockOrigin, level: Int,
         sources: [String], parents: [String]? = nil, format: SealedChunkFormat = .prometheusXOR) throws(MetricStoreError) {
        switch format {
        case .prometheusXOR: zstd = nil
        case .compressedFrames:
            guard let z = ZstdCompressor(level: ChunkFrameBuilder.level, tuning: ChunkFrameBuilder.tuning) else {
                throw .io(FileIOError(operation: "zstd context", path: directory, errno: 12))
            }
            zstd = z
        }
        parent = directory
        ulid = ULID.make()
        tmp = directory + "/" + ulid + ".tmp"
        meta = BlockMeta(
            ulid: ulid, minTime: minT, maxTime: maxT,
            stats: .init(numSamples: 0, numSeries: 0, numChunks: 0),
            compaction: .init(level: level, sources: sources.isEmpty ? [ulid] : sources, parents: parents),
            origin: origin)
        try? FileIO.removeTree(tmp)
        do throws(FileIOError) { try FileIO.makeDirectories(tmp + "/chunks") } catch { throw .io(error) }
    }

    /// Adds a series; calls must come in `labelsLess` order, chunks oldest first.
    func add(_ labels: Labels, _ chunks: [ChunkMeta]) throws(MetricStoreError) {
        guard !chunks.isEmpty else { return }
        precondition(lastLabels.map { labelsLess($0, labels) } ?? true, "block series out of order")
        lastLabels = labels
        var refs: [(minT: Int64, maxT: Int64, ref: UInt64)] = []
        refs.reserveCapacity(chunks.count)
        for c in chunks {
            let want = zstd == nil ? ChunkEncoding.xor : ChunkEncoding.decimalDelta
            var bytes = c.bytes
            if c.encoding != want {
                decoded.removeAll(keepingCapacity: true)
                let ok = bytes.withUnsafeBytes { ChunkEncoding.decode(c.encoding, $0, into: &decoded) }
                guard ok else { throw .corrupted(path: tmp, reason: "chunk of encoding \(c.encoding) does not decode") }
                bytes = want == ChunkEncoding.xor ? XORChunk.encode(decoded[...]) : DecimalDeltaChunk.encode(decoded[...])
            }
            let ref = zstd == nil ? try writeChunk(bytes) : try addToFrame(bytes)
            refs.append((c.minT, c.maxT, ref))
            meta.stats.numChunks += 1
            meta.stats.numSamples += UInt64(ChunkEncoding.sampleCount(bytes))
        }
        series.append((labels, refs))
        meta.stats.numSeries += 1
    }

    private func writeChunk(_ data: [UInt8]) throws(MetricStoreError) -> UInt64 {
        let need = 10 + 1 + data.count + 4
        if fd < 0 || segmentSize + need > BlockWriter.maxSegmentSize { try nextSegment() }
        let ref = UInt64(segment) << 32 | UInt64(segmentSize)
        var w = ByteWriter(capacity: need)
        w.writeUVarint(UInt64(data.count))
        let start = w.count
        w.writeU8(ChunkEncoding.xor)
        w.writeBytes(data)
        let crc = w.bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        w.writeU32BE(crc)
        buffer.append(contentsOf: w.bytes)
        segmentSize += w.count
        if buffer.count >= 4 << 20 { try flush() }
        return ref
    }

    /// Adds a decimal-delta chunk to the open frame, closing it when full; a new segment is
    /// started when the next frame might not fit.
    private func addToFrame(_ data: [UInt8]) throws(MetricStoreError) -> UInt64 {
        if frames.isEmpty {
            let fits = segmentSize + ChunkFrameBuilder.maxFrameSize + frames.trailerSize <= BlockWriter.maxSegmentSize
            if fd < 0 || !fits || !frames.hasRoomForFrame { try nextSegment() }
        }
        let slot = frames.add(encoding: ChunkEncoding.decimalDelta, data)
        let ref = ChunkAddress.framed(segment: segment, frame: frames.frameCount, slot: slot)
        if frames.isFull { try closeFrame() }
        return ref
    }

    private func closeFrame() throws(MetricStoreError) {
        guard let zstd, !frames.isEmpty else { return }
        guard let compressed = frames.close(at: segmentSize, with: zstd) else {
            throw .io(FileIOError(operation: "zstd compress", path: tmp, errno: 5))
        }
        buffer.append(contentsOf: compressed)
        segmentSize += compressed.count
        if buffer.count >= 4 << 20 { try flush() }
    }

    private func flush() throws(MetricStoreError) {
        guard !buffer.isEmpty else { return }
        do throws(FileIOError) { try FileIO.writeAll(fd, buffer, path: tmp) } catch { throw .io(error) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func nextSegment() throws(MetricStoreError) {
        try closeSegment()
        segment += 1
        let path = tmp + "/chunks/" + BlockWriter.segmentName(segment)
        do throws(FileIOError) { fd = try FileIO.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC) } catch { throw .io(error) }
        var w = ByteWriter(capacity: 8)
        w.writeU32BE(BlockWriter.chunksMagic)
        w.writeU8(zstd == nil ? 1 : 2)
        w.writeBytes([0, 0, 0])
        buffer.append(contentsOf: w.bytes)
        segmentSize = 8
    }

    private func closeSegment() throws(MetricStoreError) {
        guard fd >= 0 else { return }
        if zstd != nil {
            try closeFrame()
            let trailer = frames.trailer(at: segmentSize)
            buffer.append(contentsOf: trailer)
            segmentSize += trailer.count
        }
        try flush()
        do throws(FileIOError) { try FileIO.fsync(fd, path: tmp) } catch { throw .io(error) }
        FileIO.close(fd)
        fd = -1
    }

    static func segmentName(_ i: Int) -> String {
        let s = String(i)
        return String(repeating: "0", count: max(0, 6 - s.count)) + s
    }

    /// Writes index and meta, fsyncs, and renames the block into place.
    func finish() throws(MetricStoreError) -> Block {
        try closeSegment()
        let final = parent + "/" + ulid
        do throws(FileIOError) {
            try FileIO.writeFile(tmp + "/index", BlockIndexEncoder.encode(series))
            try FileIO.writeFile(tmp + "/meta.json", meta.encoded())
            try FileIO.fsyncDirectory(tmp + "/chunks")
            try FileIO.fsyncDirectory(tmp)
            try FileIO.rename(tmp, to: final)
            try FileIO.fsyncDirectory(parent)
        } catch { throw .io(error) }
        return try Block(path: final)
    }

    /// Discards a half-written block.
    func abandon() {
        if fd >= 0 { FileIO.close(fd) }
        try? FileIO.removeTree(tmp)
    }

    /// Writes a whole block from unsorted series.
    static func write(directory: String, minT: Int64, maxT: Int64, series: [(Labels, [ChunkMeta])],
                      origin: BlockOrigin, level: Int, sources: [String],
                      format: SealedChunkFormat = .prometheusXOR) throws(MetricStoreError) -> Block {
        let w = try BlockWriter(directory: directory, minT: minT, maxT: maxT, origin: origin, level: level,
                                sources: sources, format: format)
        do throws(MetricStoreError) {
            for (l, c) in series.sorted(by: { labelsLess($0.0, $1.0) }) { try w.add(l, c) }
            return try w.finish()
        } catch {
            w.abandon()
            throw error
        }
    }
}

/// Serializes a block index: symbols, series, postings, postings table, TOC (FORMAT.md).
enum BlockIndexEncoder {
    static func encode(_ series: [(labels: Labels, chunks: [(minT: Int64, maxT: Int64, ref: UInt64)])]) -> [UInt8] {
        var symbolSet = Set<String>()
        for s in series { for l in s.labels { symbolSet.insert(l.name); symbolSet.insert(l.value) } }
        let symbols = symbolSet.sorted()
        var symbolID: [String: UInt64] = [:]
        for (i, s) in symbols.enumerated() { symbolID[s] = UInt64(i) }

        var w = ByteWriter(capacity: series.count * 64 + 1024)
        w.writeU32BE(BlockWriter.indexMagic)
        w.writeU8(1)

        let symbolsOffset = w.count
        section(&w) { b in
            b.writeUVarint(UInt64(symbols.count))
            for s in symbols { b.writeString(s) }
        }

        let seriesOffset = w.count
        var postings: [String: [String: [UInt64]]] = [:]
        var all: [UInt64] = []
        all.reserveCapacity(series.count)
        for s in series {
            let id = UInt64(w.count)
            all.append(id)
            for l in s.labels { postings[l.name, default: [:]][l.value, default: []].append(id) }
            var b = ByteWriter(capacity: 64)
            b.writeUVarint(UInt64(s.labels.count))
            for l in s.labels {
                b.writeUVarint(symbolID[l.name]!)
                b.writeUVarint(symbolID[l.value]!)
            }
            b.writeUVarint(UInt64(s.chunks.count))
            var prevMax: Int64 = 0
            var prevRef: UInt64 = 0
            for (i, c) in s.chunks.enumerated() {
                if i == 0 { b.writeVarint(c.minT) } else { b.writeUVarint(UInt64(c.minT &- prevMax)) }
                b.writeUVarint(UInt64(c.maxT &- c.minT))
                b.writeVarint(Int64(bitPattern: c.ref &- prevRef))
                prevMax = c.maxT
                prevRef = c.ref
            }
            w.writeUVarint(UInt64(b.count))
            w.writeBytes(b.bytes)
            w.writeU32(CRC32C.checksum(b.bytes))
        }

        let postingsOffset = w.count
        var table: [(name: String, value: String, offset: UInt64)] = []
        func writeList(_ name: String, _ value: String, _ ids: [UInt64]) {
            table.append((name, value, UInt64(w.count)))
            section(&w) { b in
                b.writeUVarint(UInt64(ids.count))
                var prev: UInt64 = 0
                for id in ids {
                    b.writeUVarint(id - prev)
                    prev = id
                }
            }
        }
        writeList("", "", all)
        for name in postings.keys.sorted() {
            let values = postings[name]!
            for value in values.keys.sorted() { writeList(name, value, values[value]!) }
        }

        let tableOffset = w.count
        section(&w) { b in
            b.writeUVarint(UInt64(table.count))
            for e in table {
                b.writeString(e.name)
                b.writeString(e.value)
                b.writeUVarint(e.offset)
            }
        }

        var toc = ByteWriter(capacity: 36)
        for o in [symbolsOffset, seriesOffset, postingsOffset, tableOffset] { toc.writeU64(UInt64(o)) }
        toc.writeU32(CRC32C.checksum(toc.bytes))
        w.writeBytes(toc.bytes)
        return w.bytes
    }

    /// `len u32 | body | crc32c(body) u32`.
    private static func section(_ w: inout ByteWriter, _ body: (inout ByteWriter) -> Void) {
        var b = ByteWriter(capacity: 64)
        body(&b)
        w.writeU32(UInt32(b.count))
        w.writeBytes(b.bytes)
        w.writeU32(CRC32C.checksum(b.bytes))
    }
}
