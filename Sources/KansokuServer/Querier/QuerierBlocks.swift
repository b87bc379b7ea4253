import KansokuCore
import KansokuLogQL
import KansokuLogStore
import Synchronization

/// A byte range of a bucket object.
struct RangeKey: Hashable, Sendable {
    let key: String
    let range: Range<Int64>
}

/// Where a querier's bucket blocks get their bytes: a dry run only notes which ranges the
/// query decodes; the real run reads what was fetched for it.
enum BlockBytes: Sendable {
    case recording(RangeRecorder)
    case fetched(FetchedRanges)
}

final class RangeRecorder: Sendable {
    /// A literal a line filter asked blocks' token filters about.
    struct Literal: Sendable {
        let bytes: [UInt8]
        let caseInsensitive: Bool
    }

    private let needed = Mutex<(decoded: Set<RangeKey>, prefixes: Set<RangeKey>, literals: [Literal])>(([], [], []))
    /// A block the query decodes.
    func note(_ key: RangeKey) { _ = needed.withLock { $0.decoded.insert(key) } }
    /// A chunk's first block, needed as the prefix of a block the query decodes.
    func notePrefix(_ key: RangeKey) { _ = needed.withLock { $0.prefixes.insert(key) } }
    /// A literal the query's line filters test blocks for.
    /// Asked of every block, about the same one or two literals: a comparison finds it
    /// faster than hashing would.
    func noteLiteral(_ literal: [UInt8], caseInsensitive: Bool) {
        needed.withLock { n in
            if !n.literals.contains(where: { $0.caseInsensitive == caseInsensitive && $0.bytes == literal }) {
                n.literals.append(Literal(bytes: literal, caseInsensitive: caseInsensitive))
            }
        }
    }
    /// The literals tested.
    var literals: [Literal] { needed.withLock { $0.literals } }
    /// The blocks decoded.
    var decoded: Set<RangeKey> { needed.withLock { $0.decoded } }
    /// The first blocks needed only as prefixes.
    var prefixesOnly: Set<RangeKey> { needed.withLock { $0.prefixes.subtracting($0.decoded) } }
}

/// The ranges fetched for one query, and the prefix payloads decoded from them (a chunk's
/// later blocks all decode against its first block's).
final class FetchedRanges: Sendable {
    let bytes: [RangeKey: [UInt8]]
    private let prefixes = Mutex<[RangeKey: [UInt8]]>([:])

    init(_ bytes: [RangeKey: [UInt8]]) { self.bytes = bytes }

    func prefix(_ key: RangeKey, decode: () throws(LogStoreError) -> DecodedBlock) throws(LogStoreError) -> [UInt8] {
        if let p = prefixes.withLock({ $0[key] }) { return p }
        let p = StoredBlock.payload(of: try decode())
        prefixes.withLock { $0[key] = p }
        return p
    }
}

/// One block of a chunk in the bucket.
struct BucketBlock: ReadableBlock {
    /// The segment object's key.
    let object: String
    let block: StoredBlock
    let bytes: BlockBytes

    var minTime: Int64 { block.minTime }
    var maxTime: Int64 { block.maxTime }
    var entryCount: Int { block.entryCount }
    var rawSize: Int { block.rawSize }
    var isCompressed: Bool { true }
    var withoutMetadata: Bool { block.withoutMetadata }

    func mayContain(literal: [UInt8], caseInsensitive: Bool) -> Bool {
        if case .recording(let recorder) = bytes { recorder.noteLiteral(literal, caseInsensitive: caseInsensitive) }
        return block.mayContain(literal: literal, caseInsensitive: caseInsensitive)
    }

    func withEntries<R>(_ body: (BlockEntries) throws(LogQLError) -> R) throws(LogQLError) -> R {
        let own = RangeKey(key: object, range: block.range)
        let first = block.prefixRange.map { RangeKey(key: object, range: $0) }
        switch bytes {
        case .recording(let recorder):
            recorder.note(own)
            if let first { recorder.notePrefix(first) }
            return try EntriesBlock.empty.withEntries(body)
        case .fetched(let fetched):
            // A range that could not be fetched is reported in the answer's warnings.
            guard let framed = fetched.bytes[own] else { return try EntriesBlock.empty.withEntries(body) }
            var firstBytes: [UInt8]?
            if let first {
                guard let bytes = fetched.bytes[first] else { return try EntriesBlock.empty.withEntries(body) }
                firstBytes = bytes
            }
            let result: Result<R, LogQLError>
            do throws(LogStoreError) {
                var prefix: [UInt8]?
                if let first, let firstBytes, let firstBlock = block.firstBlock {
                    prefix = try fetched.prefix(first) { () throws(LogStoreError) in try firstBlock.decode(firstBytes, prefix: nil, file: object) }
                }
                result = try block.withDecoded(framed, prefix: prefix, file: object) { b in
                    guard let keep = EntriesBlock.uniqueIndices(timestamps: b.timestamps, line: { b.lines[$0] }) else {
                        return BlockEntries.lend(b, body)
                    }
                    do throws(LogQLError) { return .success(try EntriesBlock(keeping: keep, of: b).withEntries(body)) } catch { return .failure(error) }
                }
            } catch {
                throw .execution("reading block \(object)@\(block.range.lowerBound): \(error)")
            }
            return try result.get()
        }
    }
}

/// Entries held in arrays: what ingesters answered, or blocks that overlap in time merged
/// into one, sorted by time with repeats dropped.
struct EntriesBlock: ReadableBlock {
    let timestamps: [Int64]
    let starts: [Int]
    let lineBytes: [UInt8]
    let metadata: [Labels]

    static let empty = EntriesBlock(entries: [])

    var minTime: Int64 { timestamps.first ?? 0 }
    var maxTime: Int64 { timestamps.last ?? 0 }
    var entryCount: Int { timestamps.count }
    var rawSize: Int { lineBytes.count }
    var isCompressed: Bool { false }
    var withoutMetadata: Bool { metadata.isEmpty }
    func mayContain(literal: [UInt8], caseInsensitive: Bool) -> Bool { true }

    /// Sorts by timestamp (stable) and drops an entry equal in timestamp and line to an
    /// earlier one: Loki's rule, so a line that reached two places, or the same place twice
    /// (a client's retry after a crash), counts once.
    init(entries: [LogEntry]) {
        let order = entries.indices.sorted { (entries[$0].timestamp, $0) < (entries[$1].timestamp, $1) }
        var ts: [Int64] = [], starts = [0], bytes: [UInt8] = [], md: [Labels] = []
        var runStart = 0
        for i in order {
            let e = entries[i]
            if ts.last != e.timestamp { runStart = ts.count }
            var repeated = false
            for k in runStart..<ts.count where bytes[starts[k]..<starts[k + 1]].elementsEqual(e.line) { repeated = true; break }
            if repeated { continue }
            ts.append(e.timestamp)
            bytes.append(contentsOf: e.line)
            starts.append(bytes.count)
            md.append(e.metadata)
        }
        timestamps = ts
        self.starts = starts
        lineBytes = bytes
        metadata = md.allSatisfy(\.isEmpty) ? [] : md
    }

    init(keeping keep: [Int], of d: BorrowedBlock) {
        var ts: [Int64] = [], starts = [0], bytes: [UInt8] = [], md: [Labels] = []
        for i in keep {
            ts.append(d.timestamps[i])
            bytes.append(contentsOf: d.lines[i])
            starts.append(bytes.count)
            if !d.metadata.isEmpty { md.append(d.metadata[i]) }
        }
        timestamps = ts
        self.starts = starts
        lineBytes = bytes
        metadata = md
    }

    /// The entries of a time-sorted block to keep when some repeat an earlier one (same
    /// timestamp and line); nil when none does, the usual case.
    static func uniqueIndices(timestamps: UnsafeBufferPointer<Int64>, line: (Int) -> UnsafeRawBufferPointer) -> [Int]? {
        var keep: [Int]?
        var dropped = Set<Int>()
        var runStart = 0
        for i in timestamps.indices {
            if i > 0 && timestamps[i] != timestamps[i - 1] { runStart = i }
            var repeated = false
            if i > runStart {
                let l = line(i)
                for k in runStart..<i where !dropped.contains(k) && line(k).elementsEqual(l) { repeated = true; break }
            }
            if repeated {
                dropped.insert(i)
                if keep == nil { keep = Array(0..<i) }
            } else {
                keep?.append(i)
            }
        }
        return keep
    }

    func withEntries<R>(_ body: (BlockEntries) throws(LogQLError) -> R) throws(LogQLError) -> R {
        try Self.lend(timestamps, lineBytes, starts, metadata, body)
    }

    /// Lends arrays to `body` as `BlockEntries`.
    static func lend<R>(_ timestamps: [Int64], _ lineBytes: [UInt8], _ starts: [Int], _ metadata: [Labels],
                        _ body: (BlockEntries) throws(LogQLError) -> R) throws(LogQLError) -> R {
        let result: Result<R, LogQLError> = timestamps.withUnsafeBufferPointer { ts in
            lineBytes.withUnsafeBytes { b in
                starts.withUnsafeBufferPointer { st in
                    do throws(LogQLError) { return .success(try body(BlockEntries(timestamps: ts, bytes: b, starts: st, metadata: metadata))) }
                    catch { return .failure(error) }
                }
            }
        }
        return try result.get()
    }
}

/// Blocks of one stream whose times overlap, from different places (ingesters, incarnations)
/// or not: read as one, each entry once.
struct MergedBlock: ReadableBlock {
    let members: [any ReadableBlock]

    var minTime: Int64 { members.map(\.minTime).min() ?? 0 }
    var maxTime: Int64 { members.map(\.maxTime).max() ?? 0 }
    /// An upper bound: repeats are only found by decoding.
    var entryCount: Int { members.reduce(0) { $0 + $1.entryCount } }
    var rawSize: Int { members.reduce(0) { $0 + $1.rawSize } }
    var isCompressed: Bool { members.contains { $0.isCompressed } }
    var withoutMetadata: Bool { false }

    func mayContain(literal: [UInt8], caseInsensitive: Bool) -> Bool {
        members.contains { $0.mayContain(literal: literal, caseInsensitive: caseInsensitive) }
    }

    func withEntries<R>(_ body: (BlockEntries) throws(LogQLError) -> R) throws(LogQLError) -> R {
        var all: [LogEntry] = []
        for m in members {
            try m.withEntries { (e: BlockEntries) throws(LogQLError) in
                for i in 0..<e.count {
                    all.append(LogEntry(timestamp: e.timestamps[i], line: Array(e.line(i)), metadata: e.metadata.isEmpty ? Labels() : e.metadata[i]))
                }
            }
        }
        return try EntriesBlock(entries: all).withEntries(body)
    }
}
