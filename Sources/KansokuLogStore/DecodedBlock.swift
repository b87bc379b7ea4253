public import KansokuCore

/// The entries of one block, decoded: timestamps, and all lines in one contiguous buffer with
/// offsets, so walking lines allocates nothing. Entries are in timestamp order; entries with
/// equal timestamps keep their arrival order.
public struct DecodedBlock: Sendable {
    public private(set) var timestamps: [Int64]
    /// `lineStarts[i]..<lineStarts[i+1]` is line i in `lineBytes`; count + 1 elements.
    public private(set) var lineStarts: [Int]
    public private(set) var lineBytes: [UInt8]
    /// Structured metadata per entry, or empty when no entry has any.
    public private(set) var metadata: [Labels]

    public init() {
        timestamps = []
        lineStarts = [0]
        lineBytes = []
        metadata = []
    }

    init(timestamps: [Int64], lineStarts: [Int], lineBytes: [UInt8], metadata: [Labels]) {
        self.timestamps = timestamps
        self.lineStarts = lineStarts
        self.lineBytes = lineBytes
        self.metadata = metadata
    }

    public var count: Int { timestamps.count }
    public var isEmpty: Bool { timestamps.isEmpty }
    public var rawSize: Int { lineBytes.count }
    public var minTime: Int64 { timestamps.first ?? 0 }
    public var maxTime: Int64 { timestamps.last ?? 0 }

    /// Line i as a slice of the shared buffer (no copy).
    @inlinable public func line(_ i: Int) -> ArraySlice<UInt8> {
        lineBytes[lineStarts[i]..<lineStarts[i + 1]]
    }

    /// Calls `body` with line i's bytes, borrowed from the shared buffer.
    @inlinable public func withLine<R>(_ i: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let start = lineStarts[i], end = lineStarts[i + 1]
        return try lineBytes.withUnsafeBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[start..<end]))
        }
    }

    /// Calls `body` once with a view of every line: the fastest way to scan a block.
    @inlinable public func withLines<R>(_ body: (LineView) throws -> R) rethrows -> R {
        try lineBytes.withUnsafeBytes { bytes in
            try lineStarts.withUnsafeBufferPointer { starts in
                try body(LineView(bytes: bytes, starts: starts))
            }
        }
    }

    /// Structured metadata of entry i (empty when none).
    public func metadata(_ i: Int) -> Labels {
        metadata.isEmpty ? Labels() : metadata[i]
    }

    /// Entry i as a standalone value (copies the line).
    public func entry(_ i: Int) -> LogEntry {
        LogEntry(timestamp: timestamps[i], line: Array(line(i)), metadata: metadata(i))
    }

    /// Borrowed access to all lines of a block; valid only inside `withLines`.
    public struct LineView {
        public let bytes: UnsafeRawBufferPointer
        public let starts: UnsafeBufferPointer<Int>

        @inlinable public init(bytes: UnsafeRawBufferPointer, starts: UnsafeBufferPointer<Int>) {
            self.bytes = bytes
            self.starts = starts
        }

        public var count: Int { starts.count - 1 }

        @inlinable public subscript(i: Int) -> UnsafeRawBufferPointer {
            UnsafeRawBufferPointer(rebasing: bytes[starts[i]..<starts[i + 1]])
        }
    }
}

/// A decoded block's entries, borrowed: valid only inside the closure that lends them (the
/// buffers are reused for the next block).
public struct BorrowedBlock {
    public let timestamps: UnsafeBufferPointer<Int64>
    public let lines: DecodedBlock.LineView
    /// Structured metadata per entry, or empty when no entry has any.
    public let metadata: [Labels]

    @inlinable public init(timestamps: UnsafeBufferPointer<Int64>, lines: DecodedBlock.LineView, metadata: [Labels]) {
        self.timestamps = timestamps
        self.lines = lines
        self.metadata = metadata
    }

    public var count: Int { timestamps.count }
}

extension DecodedBlock {
    /// Lends this block's entries as a `BorrowedBlock`.
    public func borrow<R>(_ body: (BorrowedBlock) throws -> R) rethrows -> R {
        try timestamps.withUnsafeBufferPointer { ts in
            try withLines { try body(BorrowedBlock(timestamps: ts, lines: $0, metadata: metadata)) }
        }
    }
}
