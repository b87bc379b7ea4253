import Glibc

/// Cuts a byte stream into lines.
///
/// - A line ends at `\n`; one `\r` before it is part of the terminator (CRLF files), not of
///   the line.
/// - An unterminated tail is held until its newline arrives, or until the caller flushes it
///   (the tailer does so after a quiet period, so a last line without newline is not lost).
/// - A line longer than `maxLineBytes` is cut: its first bytes (ending on a UTF-8 character
///   boundary) are kept and `…[truncated]` is appended, so the stored line is at most
///   `maxLineBytes` (256 KiB, Loki's default line limit) and says it was cut. The rest of the
///   line is skipped without being buffered. Lines are otherwise kept byte for byte; invalid
///   UTF-8 stays as it is.
///
/// Complete lines that lie inside one input chunk are handed out as views of that chunk
/// (no copy); only a line spanning chunks is assembled in `partial`.
public struct LineSplitter: Sendable {
    public static let maxLineBytes = 256 * 1024
    public static let truncationMarker: [UInt8] = Array("…[truncated]".utf8)

    /// Bytes of the current unterminated line (at most `maxLineBytes`).
    private(set) var partial: [UInt8] = []
    /// True once the current line went past the limit: further bytes up to `\n` are dropped.
    private(set) var truncating = false

    public init() {}

    /// Whether bytes of an unterminated line are waiting.
    public var hasPartial: Bool { !partial.isEmpty || truncating }

    /// Feeds `chunk`; `emit` receives each completed line and the number of bytes of `chunk`
    /// consumed up to and including its newline.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer,
                              emit: (_ line: UnsafeRawBufferPointer, _ consumed: Int) -> Void) {
        guard let base = chunk.baseAddress, chunk.count > 0 else { return }
        var start = 0
        while start < chunk.count {
            let rest = chunk.count - start
            guard let nl = memchr(base + start, 0x0A, rest) else {
                append(UnsafeRawBufferPointer(start: base + start, count: rest))
                return
            }
            let end = base.distance(to: UnsafeRawPointer(nl))
            let piece = UnsafeRawBufferPointer(start: base + start, count: end - start)
            if partial.isEmpty && !truncating && piece.count <= Self.maxLineBytes {
                emit(Self.trimCR(piece), end + 1)
            } else {
                append(piece)
                finishPartial { emit($0, end + 1) }
            }
            start = end + 1
        }
    }

    /// Hands out the waiting unterminated line as a line of its own.
    public mutating func flush(emit: (_ line: UnsafeRawBufferPointer) -> Void) {
        guard hasPartial else { return }
        finishPartial(emit)
    }

    /// Forgets any waiting bytes (the file was truncated under us).
    public mutating func reset() {
        partial.removeAll(keepingCapacity: false)
        truncating = false
    }

    private mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !truncating else { return }
        if partial.count + bytes.count <= Self.maxLineBytes {
            partial.append(contentsOf: bytes)
            return
        }
        // Over the limit: keep what fits before the marker, cut back to a character boundary.
        let room = Self.maxLineBytes - Self.truncationMarker.count
        if partial.count < room { partial.append(contentsOf: bytes[0..<(room - partial.count)]) }
        if partial.count > room { partial.removeLast(partial.count - room) }
        Self.cutToCharacterBoundary(&partial)
        partial.append(contentsOf: Self.truncationMarker)
        truncating = true
    }

    private mutating func finishPartial(_ emit: (UnsafeRawBufferPointer) -> Void) {
        if !truncating, partial.last == 0x0D { partial.removeLast() }
        partial.withUnsafeBytes { emit($0) }
        partial.removeAll(keepingCapacity: partial.count <= 64 * 1024)
        truncating = false
    }

    static func trimCR(_ b: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        if let last = b.last, last == 0x0D { return UnsafeRawBufferPointer(rebasing: b[0..<(b.count - 1)]) }
        return b
    }

    /// Drops an incomplete UTF-8 sequence at the end (only when the bytes before it look like
    /// UTF-8; arbitrary binary is left alone).
    static func cutToCharacterBoundary(_ b: inout [UInt8]) {
        var i = b.count - 1
        var continuation = 0
        while i >= 0, continuation < 3, b[i] & 0xC0 == 0x80 {
            continuation += 1
            i -= 1
        }
        guard i >= 0 else { return }
        let lead = b[i]
        let need: Int
        if lead & 0xE0 == 0xC0 { need = 1 } else if lead & 0xF0 == 0xE0 { need = 2 } else if lead & 0xF8 == 0xF0 { need = 3 } else { return }
        if continuation < need { b.removeLast(b.count - i) }
    }
}
