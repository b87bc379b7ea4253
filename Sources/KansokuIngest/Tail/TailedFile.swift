import Glibc
import KansokuCore

/// One open file being tailed. Owned by the tail loop; never shared between tasks.
final class TailedFile {
    let identity: FileIdentity
    /// The path the file was discovered under: its `filename` label and positions key, kept
    /// after a rotation renames it so its stream does not change.
    let labelPath: String
    let target: Int
    /// Order of opening: older files are read first, so a rotated file's last lines precede
    /// its successor's first ones.
    let sequence: Int
    private(set) var fd: Int32
    var runner: PipelineRunner
    var splitter = LineSplitter()
    /// Next byte to read.
    var readOffset: Int64
    /// Every byte before this is stored.
    var committedOffset: Int64
    var lastTimestamp: Int64
    var fingerprintLength = 0
    var fingerprint: UInt32 = 0
    /// The lines of the batch being assembled or in flight.
    var encoder: RangeEncoder?
    /// Set when no configured path leads to this file any more (rotated away or deleted):
    /// it is read to its end and then closed.
    var detached = false
    /// The last read failure reported, so a failing file is logged once, not every poll.
    var lastFailure: FileIOError?
    /// Monotonic time of the last new data, for flushing an unterminated last line.
    var lastDataAt: Int64

    init(fd: Int32, identity: FileIdentity, labelPath: String, target: Int, sequence: Int, runner: PipelineRunner,
         offset: Int64, lastTimestamp: Int64, now: Int64) {
        self.fd = fd
        self.sequence = sequence
        self.identity = identity
        self.labelPath = labelPath
        self.target = target
        self.runner = runner
        self.readOffset = offset
        self.committedOffset = offset
        self.lastTimestamp = lastTimestamp
        self.lastDataAt = now
    }

    deinit { close() }

    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    var isIdle: Bool { encoder == nil && !splitter.hasPartial }

    /// Reads new bytes and adds complete lines to `batch`, until the end of the file or until
    /// `budget` bytes were read. Returns the bytes read, or a failure to report.
    /// `floor` is the last timestamp given to any untimed line of any file: new ones come
    /// after it, so files sharing a stream keep their order.
    func read(into batch: inout BatchBuilder, buffer: inout [UInt8], budget: Int, clock: TailClock,
              partialTimeout: Int64, tenant: String, floor: Int64) -> Result<Int, FileIOError> {
        var total = 0
        while total < budget {
            let size: Int64
            switch FileStatus.of(fd: fd, path: labelPath) {
            case .failure(let f): return .failure(f)
            case .success(let st): size = st.size
            }
            if size < readOffset {
                // copytruncate: the file restarted from zero. Lines of this file already in the
                // batch are finished first, so every pending range starts at the stored offset.
                if encoder != nil { return .success(total) }
                truncated()
            }
            if size == readOffset {
                if splitter.hasPartial, clock.monotonic() - lastDataAt >= partialTimeout {
                    let end = readOffset
                    let now = clock.wall()
                    startEncoder(now: now, floor: floor)
                    splitter.flush { line in encoder!.add(line, end: end, now: now, tenant: tenant, into: &batch) }
                }
                return .success(total)
            }
            let want = Int(min(Int64(buffer.count), size - readOffset, Int64(budget - total)))
            let n = buffer.withUnsafeMutableBytes { b in
                FileIO.preadSome(fd, UnsafeMutableRawBufferPointer(rebasing: b[0..<want]), at: readOffset)
            }
            if n < 0 { return .failure(FileIOError(operation: "read", path: labelPath, errno: errno)) }
            if n == 0 { return .success(total) }
            lastDataAt = clock.monotonic()
            let start = readOffset
            let now = clock.wall()
            // Work on locals: class properties mutated per line would pay for dynamic
            // exclusivity checks and risk copying the encoder.
            var enc = encoder ?? RangeEncoder(runner: runner, baseTimestamp: max(now, lastTimestamp + 1, floor + 1))
            encoder = nil
            var lines = splitter
            splitter = LineSplitter()
            buffer.withUnsafeBytes { b in
                lines.feed(UnsafeRawBufferPointer(rebasing: b[0..<n])) { line, consumed in
                    enc.add(line, end: start + Int64(consumed), now: now, tenant: tenant, into: &batch)
                }
            }
            splitter = lines
            if enc.lines > 0 { encoder = enc }
            readOffset += Int64(n)
            total += n
        }
        return .success(total)
    }

    private func startEncoder(now: Int64, floor: Int64) {
        guard encoder == nil else { return }
        encoder = RangeEncoder(runner: runner, baseTimestamp: max(now, lastTimestamp + 1, floor + 1))
    }

    /// The batch holding this file's lines was stored.
    func committed() {
        guard let e = encoder else { return }
        committedOffset = e.end
        if let last = e.lastUntimedTimestamp { lastTimestamp = last }
        runner = e.runner
        encoder = nil
    }

    func truncated() {
        readOffset = 0
        committedOffset = 0
        splitter.reset()
        fingerprintLength = 0
        fingerprint = 0
    }

    /// Brings the fingerprint up to the first 1 KiB of stored bytes.
    func updateFingerprint() {
        let want = Int(min(1024, committedOffset))
        guard want > fingerprintLength else { return }
        if let fp = Self.fingerprint(fd: fd, length: want) {
            fingerprintLength = want
            fingerprint = fp
        }
    }

    static func fingerprint(fd: Int32, length: Int) -> UInt32? {
        var buf = [UInt8](repeating: 0, count: length)
        let n = buf.withUnsafeMutableBytes { FileIO.preadSome(fd, $0, at: 0) }
        guard n == length else { return nil }
        return CRC32C.checksum(buf)
    }

    func position() -> FilePosition {
        FilePosition(path: labelPath, identity: identity, offset: committedOffset, lastTimestamp: lastTimestamp,
                     fingerprintLength: fingerprintLength, fingerprint: fingerprint, pending: encoder?.pending())
    }
}

/// Wall and monotonic time in nanoseconds; replaceable so tests can drive timeouts.
public struct TailClock: Sendable {
    public var wall: @Sendable () -> Int64
    public var monotonic: @Sendable () -> Int64

    public init(wall: @escaping @Sendable () -> Int64, monotonic: @escaping @Sendable () -> Int64) {
        self.wall = wall
        self.monotonic = monotonic
    }

    public static let system = TailClock(
        wall: { TimeParser.currentNanos() },
        monotonic: {
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
        })
}
