public import KansokuCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A place in the metric WAL: a segment number and a byte offset in it (always at a frame
/// boundary). Positions order as the records they point at.
public struct WALPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var segment: Int
    public var offset: Int

    public init(segment: Int, offset: Int) {
        self.segment = segment
        self.offset = offset
    }

    public static func < (a: Self, b: Self) -> Bool { (a.segment, a.offset) < (b.segment, b.offset) }
    public var description: String { "\(WAL.segmentName(segment)):\(offset)" }
}

/// One sample as the WAL logged it: the series' ref in this store run, time and value.
public struct WALSample: Sendable, Hashable {
    public var ref: UInt64
    public var t: Int64
    public var v: Double
}

/// A WAL record as a reader outside the store sees it.
public enum WALTailRecord: Sendable {
    /// Series created (or logged again) with their refs.
    case series([(ref: UInt64, labels: Labels)])
    /// Samples of one append, in the order the head applied them; may hold samples the head
    /// rejected (out of order, duplicate), which replay rejects again the same way.
    case samples([WALSample])
}

/// Follows the metric WAL from a position, as Prometheus's WAL watcher does for remote write:
/// it reads the frames already on disk, waits at the end of the segment being written, and
/// moves to the next segment once one exists. It never writes to the WAL; the store cuts and
/// checkpoints segments on its own, and a segment deleted before the reader got to it is
/// skipped and reported.
///
/// Memory is bounded by `read(maxBytes:)`: a segment is read in slices, never whole.
public struct WALTail: ~Copyable {
    let directory: String
    public private(set) var position: WALPosition
    private var fd: Int32 = -1
    private var fdSegment = -1
    /// Segments that were gone (checkpointed) before they could be read.
    public private(set) var skippedSegments = 0

    /// `metricsDirectory` is the metric store's data directory (the one holding `wal/`).
    public init(metricsDirectory: String) {
        directory = metricsDirectory + "/wal"
        position = WALPosition(segment: 0, offset: 0)
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Positions the reader at `saved`, or at the current end of the WAL when nil (a new reader
    /// sends only what is logged from now on). Every record before that point, from the latest
    /// checkpoint on, is passed to `prime` so the caller knows every series and each series'
    /// last sample time.
    public mutating func start(from saved: WALPosition?, prime: (WALTailRecord) -> Void) throws(MetricStoreError) {
        let layout = try Self.layout(directory)
        if let cp = layout.checkpoint {
            let names: [String]
            do throws(FileIOError) { names = try FileIO.listDirectory(cp.path) } catch { throw .io(error) }
            for name in names {
                let bytes: [UInt8]
                do throws(FileIOError) { bytes = try FileIO.readFile(cp.path + "/" + name) } catch { throw .io(error) }
                bytes.withUnsafeBytes { _ = Self.frames($0, prime) }
            }
        }
        let first = layout.segments.first ?? ((layout.checkpoint?.index ?? -1) + 1)
        var target: WALPosition
        if let saved {
            target = saved
            if target.segment < first {
                skippedSegments += first - target.segment
                target = WALPosition(segment: first, offset: 0)
            }
        } else if let last = layout.segments.last {
            target = WALPosition(segment: last, offset: Int((try? FileIO.fileSize(path: directory + "/" + WAL.segmentName(last))) ?? 0))
        } else {
            target = WALPosition(segment: first, offset: 0)
        }
        for seg in layout.segments where seg <= target.segment {
            let path = directory + "/" + WAL.segmentName(seg)
            let bytes: [UInt8]
            do throws(FileIOError) { bytes = try FileIO.readFile(path) } catch { throw .io(error) }
            let end = bytes.withUnsafeBytes { b in
                let upTo = seg < target.segment ? b.count : min(target.offset, b.count)
                return Self.frames(UnsafeRawBufferPointer(rebasing: b[0..<upTo]), prime)
            }
            // A saved offset past what the segment holds (it was cut after a failed write):
            // resume at the last whole frame.
            if seg == target.segment && end < target.offset { target.offset = end }
        }
        position = target
    }

    /// Reads the frames written since the last call, up to about `maxBytes` (one frame larger
    /// than that is read whole), passing each record with the position just after it.
    /// Returns false when the reader is at the end of the WAL, or at `limit` when one is given.
    public mutating func read(maxBytes: Int, limit: WALPosition? = nil,
                              _ visit: (WALTailRecord, WALPosition) -> Void) throws(MetricStoreError) -> Bool {
        while true {
            if let limit, position >= limit { return false }
            let path = directory + "/" + WAL.segmentName(position.segment)
            if fdSegment != position.segment {
                if fd >= 0 { close(fd) }
                fd = open(path, O_RDONLY)
                fdSegment = fd >= 0 ? position.segment : -1
                if fd < 0 {
                    guard let next = try nextSegment(after: position.segment) else { return false }
                    skippedSegments += next - position.segment
                    position = WALPosition(segment: next, offset: 0)
                    continue
                }
            }
            // A later segment is looked for before the size is read: once it exists, this one
            // is complete, so reaching its end means moving on.
            let later = try nextSegment(after: position.segment)
            var size = Int((try? FileIO.fileSize(path: path)) ?? 0)
            if let limit, limit.segment == position.segment { size = min(size, limit.offset) }
            if position.offset < size {
                let consumed = try readFrames(upTo: size, maxBytes: maxBytes, visit)
                if consumed { return true }
                // A torn or corrupt frame: wait for the writer to finish it, unless the
                // segment is closed, in which case the rest of it is skipped as replay does.
                guard later != nil else { return false }
            }
            guard let next = later else { return false }
            position = WALPosition(segment: next, offset: 0)
        }
    }

    /// Reads and visits whole frames from the current position; false when none was whole.
    private mutating func readFrames(upTo size: Int, maxBytes: Int,
                                     _ visit: (WALTailRecord, WALPosition) -> Void) throws(MetricStoreError) -> Bool {
        var want = min(size - position.offset, max(maxBytes, WALRecord.headerSize + 1))
        while true {
            var buffer = [UInt8](repeating: 0, count: want)
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(position.offset)) }
            if got < 0 { throw .io(FileIOError(operation: "read", path: directory + "/" + WAL.segmentName(position.segment), errno: errno)) }
            let start = position
            let end = buffer.withUnsafeBytes { b in
                Self.frames(UnsafeRawBufferPointer(rebasing: b[0..<got])) { record, after in
                    visit(record, WALPosition(segment: start.segment, offset: start.offset + after))
                }
            }
            if end > 0 {
                position.offset += end
                return true
            }
            // The first frame is longer than the slice: read it whole if it is all there.
            guard got >= WALRecord.headerSize else { return false }
            let length = buffer.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt32.self))) }
            let needed = WALRecord.headerSize + length
            guard needed > got, needed <= size - position.offset else { return false }
            want = needed
        }
    }

    /// The newest checkpoint when it is newer than `index`, with the refs of the series it
    /// kept: every series the store still holds that was logged in a segment it replaced.
    /// Nil when there is none, or when it vanished while being read (a newer one replaced it).
    public func checkpointSeries(newerThan index: Int) throws(MetricStoreError) -> (index: Int, refs: Set<UInt64>)? {
        guard let cp = try Self.layout(directory).checkpoint, cp.index > index else { return nil }
        var refs: Set<UInt64> = []
        guard let names = try? FileIO.listDirectory(cp.path) else { return nil }
        for name in names {
            guard let bytes = try? FileIO.readFile(cp.path + "/" + name) else { return nil }
            bytes.withUnsafeBytes { b in
                _ = Self.frames(b) { record in
                    if case .series(let ss) = record { for s in ss { refs.insert(s.ref) } }
                }
            }
        }
        return (cp.index, refs)
    }

    /// The newest checkpoint and the segments after it, without touching anything: the store
    /// alone deletes what a checkpoint replaced (`WALReplay.layout` does, so it is not used here).
    static func layout(_ dir: String) throws(MetricStoreError) -> WALReplay.Layout {
        var checkpoint = -1
        var segments: [Int] = []
        let names: [String]
        do throws(FileIOError) { names = try FileIO.listDirectory(dir) } catch { throw .io(error) }
        for name in names {
            if name.hasPrefix("checkpoint."), !name.hasSuffix(".tmp"), let i = Int(name.dropFirst("checkpoint.".count)) {
                checkpoint = max(checkpoint, i)
            } else if name.count == 8, let i = Int(name) {
                segments.append(i)
            }
        }
        let cp: (index: Int, path: String)? = checkpoint >= 0 ? (checkpoint, dir + "/" + WALReplay.checkpointName(checkpoint)) : nil
        return WALReplay.Layout(checkpoint: cp, segments: segments.filter { $0 > checkpoint }.sorted())
    }

    private func nextSegment(after seg: Int) throws(MetricStoreError) -> Int? {
        var best: Int?
        let names: [String]
        do throws(FileIOError) { names = try FileIO.listDirectory(directory) } catch { throw .io(error) }
        for name in names where name.count == 8 {
            if let i = Int(name), i > seg, i < (best ?? .max) { best = i }
        }
        return best
    }

    /// Visits the whole, valid frames at the start of `bytes`; returns where they end.
    private static func frames(_ bytes: UnsafeRawBufferPointer, _ visit: (WALTailRecord) -> Void) -> Int {
        frames(bytes) { record, _ in visit(record) }
    }

    private static func frames(_ bytes: UnsafeRawBufferPointer, _ visit: (WALTailRecord, Int) -> Void) -> Int {
        var end = 0
        var failed = false
        _ = WALRecord.scan(bytes) { type, body in
            guard !failed else { return }
            let after = body.baseAddress! - bytes.baseAddress! + body.count
            do throws(ByteReadError) {
                switch try WALRecord.decode(type: type, body: body) {
                case .series(let s)?: visit(.series(s), after)
                case .samples(let s)?: visit(.samples(s.map { WALSample(ref: $0.ref, t: $0.t, v: $0.v) }), after)
                case nil: break
                }
                end = after
            } catch {
                failed = true
            }
        }
        return end
    }
}
