import KansokuCore
import KansokuLogQL
import KansokuLogStore
import Synchronization

/// Notes the selections a query makes (matchers and time range) and answers them with
/// nothing: a querier's first dry run, telling it which streams and times to look up.
final class SelectionRecorder: LogReader {
    private let seen = Mutex<[UnshippedRequest.Selection]>([])

    var selections: [UnshippedRequest.Selection] { seen.withLock { $0 } }

    private func note(_ matchers: [LabelMatcher], _ from: Int64, _ through: Int64) {
        let s = UnshippedRequest.Selection(matchers: matchers, from: from, through: through)
        seen.withLock { if !$0.contains(s) { $0.append(s) } }
    }

    func streams(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [StreamInfo] {
        note(matchers, from, through)
        return []
    }

    func streamBlocks(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [(stream: StreamInfo, blocks: [any ReadableBlock])] {
        note(matchers, from, through)
        return []
    }

    func blocks(tenant: String, stream: UInt64, from: Int64, through: Int64) -> [any ReadableBlock] { [] }
    func labelNames(tenant: String, from: Int64, through: Int64) -> [String] { [] }
    func labelValues(tenant: String, name: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [String] { [] }
}

/// One query's view of the cluster: its streams merged by labels across the bucket's
/// incarnations and the ingesters' answers, each with its blocks in time order, blocks that
/// overlap in time read as one so no entry counts twice.
struct PreparedLogReader: LogReader {
    struct Stream {
        let info: StreamInfo
        let blocks: [any ReadableBlock]
    }

    let tenant: String
    let merged: [Stream]
    let warnings: [String]

    /// A bucket chunk's blocks, with the stream they belong to.
    struct ChunkBlocks {
        let labels: Labels
        let object: String
        let blocks: [StoredBlock]
    }

    init(tenant: String, chunks: [ChunkBlocks], ingested: [(labels: Labels, entries: [LogEntry])], bytes: BlockBytes, warnings: [String]) {
        self.tenant = tenant
        self.warnings = warnings
        var byLabels: [Labels: [any ReadableBlock]] = [:]
        for c in chunks {
            byLabels[c.labels, default: []] += c.blocks.map { BucketBlock(object: c.object, block: $0, bytes: bytes) as any ReadableBlock }
        }
        var entries: [Labels: [LogEntry]] = [:]
        for (labels, list) in ingested { entries[labels, default: []] += list }
        for (labels, list) in entries where !list.isEmpty {
            byLabels[labels, default: []].append(EntriesBlock(entries: list))
        }
        var merged: [Stream] = []
        for (labels, blocks) in byLabels.sorted(by: { $0.key.description < $1.key.description }) {
            let info = StreamInfo(id: UInt64(merged.count), tenant: tenant, labels: labels)
            merged.append(Stream(info: info, blocks: Self.mergingOverlaps(blocks)))
        }
        self.merged = merged
    }

    /// Blocks by time; runs of blocks whose times overlap become one `MergedBlock`.
    static func mergingOverlaps(_ blocks: [any ReadableBlock]) -> [any ReadableBlock] {
        let sorted = blocks.enumerated().sorted { ($0.element.minTime, $0.offset) < ($1.element.minTime, $1.offset) }.map(\.element)
        var out: [any ReadableBlock] = []
        var run: [any ReadableBlock] = []
        var runMax = Int64.min
        func close() {
            if run.count == 1 { out.append(run[0]) } else if run.count > 1 { out.append(MergedBlock(members: run)) }
            run = []
        }
        for b in sorted {
            if !run.isEmpty && b.minTime > runMax { close() }
            runMax = run.isEmpty ? b.maxTime : max(runMax, b.maxTime)
            run.append(b)
        }
        close()
        return out
    }

    func streams(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [StreamInfo] {
        guard tenant == self.tenant else { return [] }
        return merged.filter { s in matchers.matches(s.info.labels) && s.blocks.contains { $0.maxTime >= from && $0.minTime <= through } }.map(\.info)
    }

    func blocks(tenant: String, stream: UInt64, from: Int64, through: Int64) -> [any ReadableBlock] {
        guard tenant == self.tenant, stream < UInt64(merged.count) else { return [] }
        return merged[Int(stream)].blocks.filter { $0.maxTime >= from && $0.minTime <= through }
    }

    func labelNames(tenant: String, from: Int64, through: Int64) -> [String] {
        Set(streams(tenant: tenant, matchers: [], from: from, through: through).flatMap { $0.labels.map(\.name) }).sorted()
    }

    func labelValues(tenant: String, name: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [String] {
        Set(streams(tenant: tenant, matchers: matchers, from: from, through: through).compactMap { $0.labels[name] }).sorted()
    }
}
