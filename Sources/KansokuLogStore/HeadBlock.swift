import KansokuCore
#if canImport(Glibc)
import Glibc
#endif

/// A stream's newest entries, uncompressed and in arrival order, until cut into a block.
struct HeadBlock: Sendable {
    private(set) var timestamps: [Int64] = []
    private(set) var lineStarts: [Int] = [0]
    private(set) var lineBytes: [UInt8] = []
    /// Per-entry metadata, kept empty until some entry has any.
    private(set) var metadata: [Labels] = []
    /// False once an entry arrived older than its predecessor.
    private(set) var inOrder = true
    private(set) var minTime = Int64.max
    private(set) var maxTime = Int64.min

    var count: Int { timestamps.count }
    var isEmpty: Bool { timestamps.isEmpty }
    var rawSize: Int { lineBytes.count }

    mutating func append(timestamp: Int64, line: UnsafeRawBufferPointer, metadata md: Labels) {
        if let last = timestamps.last, timestamp < last { inOrder = false }
        timestamps.append(timestamp)
        lineBytes.append(contentsOf: line)
        lineStarts.append(lineBytes.count)
        if !metadata.isEmpty {
            metadata.append(md)
        } else if !md.isEmpty {
            metadata = [Labels](repeating: Labels(), count: timestamps.count - 1)
            metadata.append(md)
        }
        if timestamp < minTime { minTime = timestamp }
        if timestamp > maxTime { maxTime = timestamp }
    }

    /// Whether the newest entry has this timestamp and line.
    func endsWith(timestamp: Int64, line: UnsafeRawBufferPointer) -> Bool {
        guard let last = timestamps.last, last == timestamp else { return false }
        let start = lineStarts[count - 1]
        guard lineBytes.count - start == line.count else { return false }
        return lineBytes.withUnsafeBytes { b in
            line.count == 0 || memcmp(b.baseAddress! + start, line.baseAddress!, line.count) == 0
        }
    }

    /// The entries in timestamp order (equal timestamps keep arrival order), as a block.
    func sortedBlock() -> DecodedBlock {
        if inOrder {
            return DecodedBlock(timestamps: timestamps, lineStarts: lineStarts, lineBytes: lineBytes, metadata: metadata)
        }
        // Stable: ties broken by arrival index.
        let order = timestamps.indices.sorted { a, b in
            timestamps[a] != timestamps[b] ? timestamps[a] < timestamps[b] : a < b
        }
        var ts = [Int64](), starts = [0], bytes = [UInt8](), md = [Labels]()
        ts.reserveCapacity(count)
        starts.reserveCapacity(count + 1)
        bytes.reserveCapacity(lineBytes.count)
        if !metadata.isEmpty { md.reserveCapacity(count) }
        for i in order {
            ts.append(timestamps[i])
            bytes.append(contentsOf: lineBytes[lineStarts[i]..<lineStarts[i + 1]])
            starts.append(bytes.count)
            if !metadata.isEmpty { md.append(metadata[i]) }
        }
        return DecodedBlock(timestamps: ts, lineStarts: starts, lineBytes: bytes, metadata: md)
    }

    /// Returns the sorted block and empties the head, keeping its buffers' capacity (the
    /// head's buffers grow as entries arrive, so a quiet stream's head stays small).
    mutating func cut() -> DecodedBlock {
        let block = sortedBlock()
        let keep = lineBytes.capacity
        self = HeadBlock()
        lineBytes.reserveCapacity(keep)
        return block
    }
}
