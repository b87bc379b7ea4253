import KansokuCore
import KansokuLogStore

/// Turns the lines of one file's byte range into store entries, deterministically: the same
/// bytes with the same starting state give the same entries, timestamps included. That is what
/// lets a crash-interrupted batch be rebuilt from the file and compared with the store.
///
/// Lines that get no time from the pipeline are stamped `baseTimestamp + k` for the k-th such
/// line of the range, so they stay in file order (and distinct) within their stream.
struct RangeEncoder {
    var runner: PipelineRunner
    let baseTimestamp: Int64
    let fudgeAtStart: Int64?
    private(set) var untimed = 0
    private var digest = LineDigest()
    private(set) var lines = 0
    private(set) var end: Int64 = 0
    /// Lines dropped by stages, by reason.
    private(set) var dropped: [String: Int] = [:]

    init(runner: PipelineRunner, baseTimestamp: Int64) {
        self.runner = runner
        self.baseTimestamp = baseTimestamp
        self.fudgeAtStart = runner.lastParsedTimestamp
    }

    /// The highest timestamp given to an untimed line so far.
    var lastUntimedTimestamp: Int64? { untimed > 0 ? baseTimestamp + Int64(untimed) - 1 : nil }

    mutating func add(_ line: UnsafeRawBufferPointer, end: Int64, now: Int64, tenant: String, into batch: inout BatchBuilder) {
        digest.add(line)
        lines += 1
        self.end = end
        switch runner.process(line, readTime: baseTimestamp + Int64(untimed), now: now) {
        case .keep:
            if !runner.timestampFromLine { untimed += 1 }
            let bytes = runner.replacedLine ?? Array(line)
            batch.add(LogEntry(timestamp: runner.timestamp, line: bytes), labels: runner.labels, tenant: tenant)
        case .drop(let reason):
            dropped[reason, default: 0] += 1
        }
    }

    var checksum: UInt64 { digest.value }

    func pending() -> PendingRange {
        PendingRange(end: end, baseTimestamp: baseTimestamp, fudgeTimestamp: fudgeAtStart, checksum: checksum, lines: lines)
    }
}

/// Entries grouped by stream, in arrival order, for one `append` call.
struct BatchBuilder {
    private(set) var streams: [StreamBatch] = []
    private var index: [Labels: Int] = [:]
    private var lastLabels: Labels?
    private var lastIndex = 0
    private(set) var bytes = 0
    private(set) var entries = 0

    var isEmpty: Bool { entries == 0 }

    mutating func add(_ entry: LogEntry, labels: Labels, tenant: String) {
        bytes += entry.line.count
        entries += 1
        // Consecutive lines nearly always share a label set (often the very same storage,
        // which makes this comparison O(1)); the dictionary is for the rest.
        if let last = lastLabels, last == labels {
            streams[lastIndex].entries.append(entry)
            return
        }
        let i: Int
        if let known = index[labels] {
            i = known
        } else {
            i = streams.count
            index[labels] = i
            streams.append(StreamBatch(tenant: tenant, labels: labels, entries: []))
        }
        streams[i].entries.append(entry)
        lastLabels = labels
        lastIndex = i
    }
}
