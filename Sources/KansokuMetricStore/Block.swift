import KansokuCore
import Synchronization

/// An immutable block opened for reading: `meta.json`, the memory-mapped index and chunk
/// segments. Readers keep a reference while they use it, so deleting a block never pulls
/// data from under a running query.
final class Block: PostingsSource, @unchecked Sendable {
    let path: String
    let meta: BlockMeta
    private let index: MappedFile
    private let segments: [ChunkSegment]
    private let frameCache = Mutex(FrameCache())
    private let symbols: [String]
    private let postingsTable: [String: [String: Int]]
    private let allOffset: Int
    private let seriesStart: Int
    private let postingsStart: Int

    var ulid: String { meta.ulid }
    var minTime: Int64 { meta.minTime }
    var maxTime: Int64 { meta.maxTime }

    init(path: String) throws(MetricStoreError) {
        self.path = path
        let metaBytes: [UInt8]
        do throws(FileIOError) { metaBytes = try FileIO.readFile(path + "/meta.json") } catch { throw .io(error) }
        meta = try BlockMeta.decode(metaBytes, path: path)
        let files: [MappedFile]
        do throws(FileIOError) {
            index = try MappedFile(path + "/index")
            files = try FileIO.listDirectory(path + "/chunks").sorted().map { (n: String) throws(FileIOError) -> MappedFile in
                try MappedFile(path + "/chunks/" + n)
            }
        } catch { throw .io(error) }
        var segments: [ChunkSegment] = []
        for f in files { segments.append(try ChunkSegment(f)) }
        self.segments = segments
        let buf = index.bytes
        let ipath = path + "/index"
        func bad(_ why: String) -> MetricStoreError { .corrupted(path: ipath, reason: why) }
        guard buf.count >= 5 + 36,
              UInt32(bigEndian: buf.loadUnaligned(as: UInt32.self)) == BlockWriter.indexMagic
        else { throw bad("bad magic") }
        var toc = ByteReader(buf, offset: buf.count - 36)
        var offs: [Int] = []
        do {
            for _ in 0..<4 { offs.append(Int(try toc.readU64())) }
            let crc = try toc.readU32()
            if CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buf[(buf.count - 36)..<(buf.count - 4)])) != crc {
                throw bad("table of contents fails its CRC")
            }
            guard offs.allSatisfy({ $0 >= 5 && $0 < buf.count - 36 }) else { throw bad("offsets out of range") }
            var r = try Block.section(buf, at: offs[0], path: ipath)
            let n = Int(try r.readUVarint())
            var syms: [String] = []
            syms.reserveCapacity(n)
            for _ in 0..<n { syms.append(try r.readString()) }
            symbols = syms
            var t = try Block.section(buf, at: offs[3], path: ipath)
            let m = Int(try t.readUVarint())
            var table: [String: [String: Int]] = [:]
            var all = 0
            for _ in 0..<m {
                let name = try t.readString()
                let value = try t.readString()
                let off = Int(try t.readUVarint())
                if name.isEmpty && value.isEmpty { all = off } else { table[name, default: [:]][value] = off }
            }
            postingsTable = table
            allOffset = all
        } catch let e as ByteReadError {
            throw bad("\(e)")
        } catch let e as MetricStoreError {
            throw e
        } catch {
            throw bad("\(error)")
        }
        seriesStart = offs[1]
        postingsStart = offs[2]
    }

    /// A reader over the body of the `len | body | crc` section at `offset`, CRC checked.
    private static func section(_ buf: UnsafeRawBufferPointer, at offset: Int, path: String) throws(MetricStoreError) -> ByteReader {
        guard offset + 4 <= buf.count else { throw .corrupted(path: path, reason: "section past end") }
        let len = Int(UInt32(littleEndian: buf.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        guard offset + 8 + len <= buf.count else { throw .corrupted(path: path, reason: "section past end") }
        let body = UnsafeRawBufferPointer(rebasing: buf[(offset + 4)..<(offset + 4 + len)])
        let crc = UInt32(littleEndian: buf.loadUnaligned(fromByteOffset: offset + 4 + len, as: UInt32.self))
        guard CRC32C.checksum(body) == crc else { throw .corrupted(path: path, reason: "section at \(offset) fails its CRC") }
        return ByteReader(body)
    }

    // MARK: PostingsSource

    func values(of name: String) -> [String] { postingsTable[name].map { Array($0.keys) } ?? [] }
    var names: [String] { Array(postingsTable.keys) }

    func postings(_ name: String, _ value: String) -> [UInt64] {
        guard let off = postingsTable[name]?[value] else { return [] }
        return decodePostings(at: off)
    }

    func allPostings() -> [UInt64] { decodePostings(at: allOffset) }

    private func decodePostings(at off: Int) -> [UInt64] {
        guard var r = try? Block.section(index.bytes, at: off, path: path) else { return [] }
        guard let n = try? r.readUVarint() else { return [] }
        var out: [UInt64] = []
        out.reserveCapacity(Int(n))
        var id: UInt64 = 0
        for _ in 0..<n {
            guard let d = try? r.readUVarint() else { return out }
            id += d
            out.append(id)
        }
        return out
    }

    // MARK: series and chunks

    struct SeriesEntry {
        var labels: Labels
        var chunks: [(minT: Int64, maxT: Int64, ref: UInt64)]
    }

    /// The series stored at index offset `id`; nil when damaged.
    func series(_ id: UInt64) -> SeriesEntry? {
        let buf = index.bytes
        var r = ByteReader(buf, offset: Int(id))
        do throws(ByteReadError) {
            let len = Int(try r.readUVarint())
            let body = try r.readSlice(len)
            let crc = try r.readU32()
            guard CRC32C.checksum(body) == crc else { return nil }
            var b = ByteReader(body)
            let n = Int(try b.readUVarint())
            var ls: [Label] = []
            ls.reserveCapacity(n)
            for _ in 0..<n {
                let k = Int(try b.readUVarint()), v = Int(try b.readUVarint())
                guard k < symbols.count, v < symbols.count else { return nil }
                ls.append(Label(name: symbols[k], value: symbols[v]))
            }
            let m = Int(try b.readUVarint())
            var chunks: [(minT: Int64, maxT: Int64, ref: UInt64)] = []
            chunks.reserveCapacity(m)
            var prevMax: Int64 = 0
            var prevRef: UInt64 = 0
            for i in 0..<m {
                let minT = i == 0 ? try b.readVarint() : prevMax &+ Int64(bitPattern: try b.readUVarint())
                let maxT = minT &+ Int64(bitPattern: try b.readUVarint())
                let ref = prevRef &+ UInt64(bitPattern: try b.readVarint())
                chunks.append((minT, maxT, ref))
                prevMax = maxT
                prevRef = ref
            }
            return SeriesEntry(labels: Labels(sorted: ls), chunks: chunks)
        } catch {
            return nil
        }
    }

    /// Calls `body` with the encoding and data of chunk `ref`, checked against its CRC (of the
    /// chunk in a version 1 segment, of its frame in version 2).
    func withChunk<R>(_ ref: UInt64, _ body: (UInt8, UnsafeRawBufferPointer) -> R) throws(MetricStoreError) -> R {
        let seg = Int(ref >> 32) - 1
        let low = Int(ref & 0xFFFF_FFFF)
        guard seg >= 0, seg < segments.count else { throw .corrupted(path: path, reason: "chunk \(ref) names no segment") }
        let segment = segments[seg]
        if segment.version == 1 {
            let buf = segment.file.bytes
            var r = ByteReader(buf, offset: low)
            guard low < buf.count, let len = try? r.readUVarint(), let enc = try? r.readU8(),
                  let data = try? r.readSlice(Int(len)), let crc = try? r.readU32BE()
            else { throw .corrupted(path: segment.path, reason: "chunk at \(low) past the end") }
            let covered = UnsafeRawBufferPointer(rebasing: buf[(data.baseAddress! - buf.baseAddress! - 1)..<(data.baseAddress! - buf.baseAddress! + data.count)])
            guard CRC32C.checksum(covered) == crc else { throw .corrupted(path: segment.path, reason: "chunk at \(low) fails its CRC") }
            return body(enc, data)
        }
        let frameNumber = low >> ChunkAddress.slotBits, slot = low & (ChunkAddress.maxSlots - 1)
        let key = UInt64(seg) << 32 | UInt64(frameNumber)
        let frame: DecodedFrame
        if let cached = frameCache.withLock({ $0.lookup(key) }) {
            frame = cached
        } else {
            frame = try segment.decodeFrame(frameNumber)
            frameCache.withLock { $0.insert(key, frame) }
        }
        guard slot < frame.slots.count else { throw .corrupted(path: segment.path, reason: "frame \(frameNumber) has no slot \(slot)") }
        let s = frame.slots[slot]
        return frame.bytes.withUnsafeBytes { body(s.encoding, UnsafeRawBufferPointer(rebasing: $0[s.start..<(s.start + s.count)])) }
    }

    /// The stored form of chunk `ref`, for copying into another block.
    func chunk(_ ref: UInt64, minT: Int64, maxT: Int64) throws(MetricStoreError) -> ChunkMeta {
        try withChunk(ref) { ChunkMeta(minT: minT, maxT: maxT, bytes: Array($1), encoding: $0) }
    }

    /// Samples of series `id` within `[from, through]`; damaged chunks are skipped.
    func samples(of entry: SeriesEntry, from: Int64, through: Int64, into out: inout [Sample]) {
        for c in entry.chunks where c.maxT >= from && c.minT <= through {
            _ = try? withChunk(c.ref) { ChunkEncoding.decode($0, $1, from: from, through: through, into: &out) }
        }
    }

    var sizeOnDisk: Int64 { FileIO.treeSize(path) }
}
