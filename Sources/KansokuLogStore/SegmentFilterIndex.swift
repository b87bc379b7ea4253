import KansokuCore
#if canImport(Glibc)
import Glibc
#endif

/// The partitioned token filters of every chunk of a sealed segment file, gathered partition
/// by partition into one file beside it (FORMAT.md, "Segment filter index"). A querier needs
/// a literal's 16 partitions of every chunk it reads: from chunks alone that is 16 ranged GETs
/// per chunk, from this file 16 per segment.
public struct SegmentFilterIndex: Sendable {
    static let magic: [UInt8] = Array("KLFI".utf8)
    public static let footerSize = 16

    /// Bytes of one row (a partition's slices of every chunk), without its CRC.
    let rowBytes: Int
    /// Each chunk's offset in the segment → where its slice lies in every row.
    let slices: [Int64: Range<Int>]

    /// The filter index file of a segment file (`…/<tenant>~000001.seg` → `….flt`).
    public static func path(ofSegment relative: String) -> String? {
        relative.hasSuffix(".seg") ? String(relative.dropLast(4)) + ".flt" : nil
    }

    /// Where the directory lies in an object of `size` bytes, from its last `footerSize` bytes.
    public static func directoryRange(footer: [UInt8], size: Int, name: String) throws(LogStoreError) -> Range<Int64> {
        guard footer.count == footerSize, Array(footer[12..<16]) == magic else {
            throw .corrupt(file: name, offset: Int64(max(0, size - footerSize)), reason: "filter index footer magic not found")
        }
        let (start, length, row) = footer.withUnsafeBytes {
            (Int($0.loadUnaligned(fromByteOffset: 0, as: UInt32.self).littleEndian),
             Int($0.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian),
             Int($0.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian))
        }
        guard start == FilterPartitions.count * (row + 4), start + length + 4 + footerSize == size else {
            throw .corrupt(file: name, offset: 0, reason: "filter index directory out of bounds")
        }
        return Int64(start)..<Int64(start + length + 4)
    }

    /// Parses the directory (`bytes`: the range `directoryRange` gave, CRC included).
    public init(directory bytes: [UInt8], footer: [UInt8], name: String) throws(LogStoreError) {
        let row = footer.count == Self.footerSize ? Int(footer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian }) : 0
        let parsed: Result<[Int64: Range<Int>], LogStoreError> = bytes.withUnsafeBytes { raw in
            guard raw.count >= 4 else { return .failure(.corrupt(file: name, offset: 0, reason: "filter index directory truncated")) }
            let body = UnsafeRawBufferPointer(rebasing: raw[0..<(raw.count - 4)])
            guard CRC32C.checksum(body) == UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: raw.count - 4, as: UInt32.self)) else {
                return .failure(.checksumMismatch(file: name, offset: 0))
            }
            var r = ByteReader(body)
            var slices: [Int64: Range<Int>] = [:]
            var at = 0
            do throws(ByteReadError) {
                let n = try r.readUVarint()
                guard n <= UInt64(body.count) else { return .failure(.corrupt(file: name, offset: 0, reason: "chunk count \(n)")) }
                for _ in 0..<n {
                    let offset = try r.readUVarint(), length = try r.readUVarint()
                    guard offset < 1 << 40, length <= UInt64(row - at) else {
                        return .failure(.corrupt(file: name, offset: 0, reason: "filter index slice out of range"))
                    }
                    slices[Int64(offset)] = at..<(at + Int(length))
                    at += Int(length)
                }
            } catch {
                return .failure(.corrupt(file: name, offset: 0, reason: "\(error)"))
            }
            return .success(slices)
        }
        slices = try parsed.get()
        rowBytes = row
    }

    /// The bytes of partition `p`'s row (CRC included) in the file.
    public func rowRange(_ p: Int) -> Range<Int64> {
        let start = Int64(p * (rowBytes + 4))
        return start..<(start + Int64(rowBytes + 4))
    }

    /// Whether a row's bytes (its range, CRC included) check out.
    public func verify(row: [UInt8]) -> Bool {
        guard row.count == rowBytes + 4 else { return false }
        return row.withUnsafeBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<rowBytes]))
                == UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: rowBytes, as: UInt32.self))
        }
    }

    /// Fills partition `p` of `chunk` (at `offset` in the segment) from its row, which
    /// `verify(row:)` accepted; false when the chunk is not in the file or its slice does not
    /// fit its filters.
    public func fill(_ chunk: inout StoredChunk, at offset: Int64, partition p: Int, verifiedRow row: [UInt8]) -> Bool {
        guard let slice = slices[offset], row.count == rowBytes + 4 else { return false }
        return row.withUnsafeBytes { chunk.fillFilters(partition: p, verifiedBits: UnsafeRawBufferPointer(rebasing: $0[slice])) }
    }

    /// The filter index of the segment file `path`, from its chunks `chunks` (offset, length;
    /// as the store's indexes name them): each chunk whose filters are partitioned, in offset
    /// order. A chunk that does not read back checked is left out (a querier then fetches its
    /// own partitions).
    static func build(segment path: String, chunks: [(offset: Int64, length: Int)]) throws(LogStoreError) -> [UInt8] {
        let fd: Int32
        do throws(FileIOError) { fd = try FileIO.open(path, flags: O_RDONLY) } catch { throw .io(error) }
        defer { FileIO.close(fd) }
        var sections: [(offset: Int64, filters: FilterPartitions, bytes: [UInt8])] = []
        for c in chunks.sorted(by: { $0.offset < $1.offset }) {
            guard let filters = try? ChunkFormat.readFilterLayout(fd: fd, path: path, offset: c.offset, length: c.length),
                  let bytes = try? FileIO.pread(fd, count: filters.sectionSize, at: filters.offset, path: path),
                  bytes.withUnsafeBytes({ raw in
                      (0..<FilterPartitions.count).allSatisfy { filters.verify(UnsafeRawBufferPointer(rebasing: raw[($0 * filters.stride)..<(($0 + 1) * filters.stride)])) }
                  }) else { continue }
            sections.append((c.offset, filters, bytes))
        }
        let row = sections.reduce(0) { $0 + $1.filters.partitionBytes }
        var w = ByteWriter(capacity: FilterPartitions.count * (row + 4) + sections.count * 8 + 32)
        for p in 0..<FilterPartitions.count {
            let start = w.count
            for s in sections { w.writeBytes(s.bytes[(p * s.filters.stride)..<(p * s.filters.stride + s.filters.partitionBytes)]) }
            let crc = w.bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
            w.writeU32(crc)
        }
        let directoryStart = w.count
        w.writeUVarint(UInt64(sections.count))
        for s in sections {
            w.writeUVarint(UInt64(s.offset))
            w.writeUVarint(UInt64(s.filters.partitionBytes))
        }
        let directoryLength = w.count - directoryStart
        let crc = w.bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[directoryStart...])) }
        w.writeU32(crc)
        w.writeU32(UInt32(directoryStart))
        w.writeU32(UInt32(directoryLength))
        w.writeU32(UInt32(row))
        w.writeBytes(magic)
        return w.bytes
    }
}
