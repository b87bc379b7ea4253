import KansokuCore
#if canImport(Glibc)
import Glibc
#endif

/// A stream's newest entries, uncompressed and in arrival order, until cut into a block.
///
/// Entries live in one buffer, each `timestamp (8 bytes) | line length (4) | line`, not in
/// three arrays: most streams of a high-cardinality service hold a few lines at a time, and
/// for them the allocations (headers, rounding, growth) were most of their memory.
struct HeadBlock: Sendable {
    private(set) var entries: [UInt8] = []
    /// Per-entry metadata, kept empty until some entry has any.
    private(set) var metadata: [Labels] = []
    private(set) var count32: UInt32 = 0
    /// Where the newest entry starts in `entries`.
    private var lastStart: UInt32 = 0
    /// False once an entry arrived older than its predecessor.
    private(set) var inOrder = true
    private(set) var minTime = Int64.max
    private(set) var maxTime = Int64.min

    static let entryHeader = 12

    var count: Int { Int(count32) }
    var isEmpty: Bool { count32 == 0 }
    var rawSize: Int { entries.count - Self.entryHeader * count }

    mutating func append(timestamp: Int64, line: UnsafeRawBufferPointer, metadata md: Labels) {
        if !isEmpty, timestamp < lastTimestamp { inOrder = false }
        lastStart = UInt32(entries.count)
        withUnsafeBytes(of: timestamp.littleEndian) { entries.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(line.count).littleEndian) { entries.append(contentsOf: $0) }
        entries.append(contentsOf: line)
        count32 += 1
        if !metadata.isEmpty {
            metadata.append(md)
        } else if !md.isEmpty {
            metadata = [Labels](repeating: Labels(), count: count - 1)
            metadata.append(md)
        }
        if timestamp < minTime { minTime = timestamp }
        if timestamp > maxTime { maxTime = timestamp }
    }

    private var lastTimestamp: Int64 {
        entries.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(fromByteOffset: Int(lastStart), as: Int64.self)) }
    }

    /// Whether the newest entry has this timestamp and line.
    func endsWith(timestamp: Int64, line: UnsafeRawBufferPointer) -> Bool {
        guard !isEmpty else { return false }
        return entries.withUnsafeBytes { b in
            let start = Int(lastStart)
            guard Int64(littleEndian: b.loadUnaligned(fromByteOffset: start, as: Int64.self)) == timestamp else { return false }
            let n = Int(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: start + 8, as: UInt32.self)))
            guard n == line.count else { return false }
            return n == 0 || memcmp(b.baseAddress! + start + Self.entryHeader, line.baseAddress!, n) == 0
        }
    }

    /// The entries in timestamp order (equal timestamps keep arrival order), as a block.
    func sortedBlock() -> DecodedBlock {
        var ts = [Int64](), starts = [Int](), md = [Labels]()
        let bytes = [UInt8](unsafeUninitializedCapacity: rawSize) { buffer, initialized in
            md = copySorted(into: UnsafeMutableRawBufferPointer(buffer), timestamps: &ts, starts: &starts)
            initialized = rawSize
        }
        return DecodedBlock(timestamps: ts, lineStarts: starts, lineBytes: bytes, metadata: md)
    }

    /// Writes the entries in timestamp order (equal timestamps keep arrival order): their
    /// lines back to back at the start of `lines` (at least `rawSize` bytes), their times and
    /// line starts into the arrays (emptied first, their capacity kept). Returns the
    /// metadata in the same order (empty when none).
    func copySorted(into lines: UnsafeMutableRawBufferPointer, timestamps ts: inout [Int64], starts: inout [Int]) -> [Labels] {
        ts.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        ts.reserveCapacity(count)
        starts.reserveCapacity(count + 1)
        starts.append(0)
        let order: [Int]? = entries.withUnsafeBytes { b in
            func length(_ o: Int) -> Int { Int(UInt32(littleEndian: b.loadUnaligned(fromByteOffset: o + 8, as: UInt32.self))) }
            func time(_ o: Int) -> Int64 { Int64(littleEndian: b.loadUnaligned(fromByteOffset: o, as: Int64.self)) }
            var pos = 0
            func put(_ o: Int) {
                let n = length(o)
                ts.append(time(o))
                if n > 0 { (lines.baseAddress! + pos).copyMemory(from: b.baseAddress! + o + Self.entryHeader, byteCount: n) }
                pos += n
                starts.append(pos)
            }
            if inOrder {
                var o = 0
                while o < b.count { put(o); o += Self.entryHeader + length(o) }
                return nil
            }
            var offsets = [Int]()
            offsets.reserveCapacity(count)
            var o = 0
            while o < b.count { offsets.append(o); o += Self.entryHeader + length(o) }
            // Stable: ties broken by arrival index.
            let order = offsets.indices.sorted { a, c in
                let ta = time(offsets[a]), tc = time(offsets[c])
                return ta != tc ? ta < tc : a < c
            }
            for i in order { put(offsets[i]) }
            return order
        }
        guard !metadata.isEmpty, let order else { return metadata }
        return order.map { metadata[$0] }
    }

    /// Returns the sorted block and empties the head, with room for about as much as it held
    /// (the head's buffer grows as entries arrive, so a quiet stream's head stays small).
    ///
    /// Room for what the block used, not the buffer's capacity: a buffer doubles when an
    /// entry overflows it, so a full 256 KiB block often sat in 512 KiB or 1 MiB, and keeping
    /// that capacity cut after cut let every busy stream's head ratchet up to its largest ever
    /// (about 70 MB allocated for 100 streams, still growing after minutes of steady push).
    mutating func cut() -> DecodedBlock {
        let block = sortedBlock()
        let keep = min(entries.capacity, entries.count + entries.count / 8)
        self = HeadBlock()
        entries.reserveCapacity(keep)
        return block
    }
}
