import KansokuCore
import KansokuLogQL
import KansokuLogStore
import KansokuObjectStore

/// A querier's storage: the bucket's period indexes and blocks, and the ingesters' data not
/// yet in the bucket. The engine reads synchronously, so before a query runs,
/// `prepared(for:)` works out what it will read and fetches it concurrently:
///
/// 1. a dry run over nothing notes the query's selections (matchers, time ranges);
/// 2. the bucket's indexes give the matching streams' chunks; their metas (time bounds and
///    token filters of every block) are fetched, and the ingesters are asked for the rest;
/// 3. a second dry run over those blocks notes which ones the query decodes: the engine's
///    own time and token-filter checks skip the others;
/// 4. those ranges are fetched (through the disk cache), and the query runs over them.
///
/// What cannot be reached is left out and named in the answer's warnings.
final class QuerierLogReader: LogReader {
    let bucket: BucketIndex
    let fetcher: RangeFetcher
    let ingesters: IngesterClient

    init(bucket: BucketIndex, fetcher: RangeFetcher, ingesters: IngesterClient) {
        self.bucket = bucket
        self.fetcher = fetcher
        self.ingesters = ingesters
    }

    func prepared(for plan: LogQueryPlan) async throws(LogQLError) -> any LogReader {
        let recorder = SelectionRecorder()
        try await Self.run(plan, over: recorder)
        let selections = recorder.selections
        var warnings: [String] = []
        let snapshot = await bucket.current(tenant: plan.tenant)
        if let error = snapshot.refreshError {
            warnings.append("object store: listing failed, answering from the indexes listed \(snapshot.listedAt == 0 ? "never" : "at " + TimeFormatter.rfc3339Nano(snapshot.listedAt)): \(error)")
        }

        // The bucket's chunks of the matching streams, then their block metas.
        var chunks: [RangeKey: (labels: Labels, prefix: String, ref: StoredChunkRef, filterIndex: BucketChunk.FilterIndex?)] = [:]
        for source in snapshot.sources {
            for index in source.indexes {
                for s in selections {
                    for (_, labels, refs) in index.streams(tenant: plan.tenant, matchers: s.matchers, from: s.from, through: s.through) {
                        for ref in refs where source.holds(ref) {
                            let filterIndex = SegmentFilterIndex.path(ofSegment: ref.file).flatMap { path in
                                source.filterIndexes[path].map { BucketChunk.FilterIndex(key: source.prefix + path, size: $0) }
                            }
                            chunks[RangeKey(key: source.prefix + ref.file, range: ref.offset..<(ref.offset + Int64(ref.length)))] = (labels, source.prefix, ref, filterIndex)
                        }
                    }
                }
            }
        }
        let footers = await fetcher.fetch(chunks.map { RangeKey(key: $0.key.key, range: $0.value.ref.footerRange) }, kind: .footer)
        var metaRanges: [RangeKey: RangeKey] = [:]
        for (chunk, c) in chunks {
            guard let footer = footers.bytes[RangeKey(key: chunk.key, range: c.ref.footerRange)],
                  let range = try? c.ref.metaRange(footer: footer) else { continue }
            metaRanges[chunk] = RangeKey(key: chunk.key, range: range)
        }
        let metas = await fetcher.fetch(Set(metaRanges.values), kind: .meta)
        var readable: [BucketChunk] = []
        var shipped: [String: [String: [Range<Int64>]]] = [:]
        var unreadable = 0
        for (chunk, c) in chunks {
            guard let metaKey = metaRanges[chunk], let meta = metas.bytes[metaKey],
                  let stored = try? c.ref.chunk(meta: meta, metaRange: metaKey.range) else {
                unreadable += 1
                continue
            }
            readable.append(BucketChunk(labels: c.labels, object: chunk.key, offset: c.ref.offset, filterIndex: c.filterIndex, chunk: stored))
            shipped[c.prefix, default: [:]][c.ref.file, default: []].append(chunk.range)
        }
        if unreadable > 0 {
            warnings.append("object store: \(unreadable) of \(chunks.count) chunks unreadable (\((footers.failures + metas.failures).joined(separator: "; ")))")
        }

        // What the ingesters hold beyond that.
        var ingested: [(labels: Labels, entries: [LogEntry])] = []
        if !selections.isEmpty && !ingesters.ingesters.isEmpty {
            let answer = await ingesters.unshipped(UnshippedRequest(selections: selections, shipped: shipped), tenant: plan.tenant)
            ingested = answer.streams
            warnings += answer.failures
        }

        // The blocks the query decodes; with partitioned filters, after fetching the
        // partitions its line filters' literals need, which rules out more blocks.
        var needed = RangeRecorder()
        let blocks = { readable.map { PreparedLogReader.ChunkBlocks(labels: $0.labels, object: $0.object, blocks: $0.chunk.blocks) } }
        try await Self.run(plan, over: PreparedLogReader(tenant: plan.tenant, chunks: blocks(), ingested: ingested,
                                                          bytes: .recording(needed), warnings: []))
        if await FilterFetch(fetcher: fetcher).fill(&readable, for: needed.literals) {
            needed = RangeRecorder()
            try await Self.run(plan, over: PreparedLogReader(tenant: plan.tenant, chunks: blocks(), ingested: ingested,
                                                              bytes: .recording(needed), warnings: []))
        }
        var wanted: [RangeKey: FetchKind] = [:]
        for k in needed.prefixesOnly { wanted[k] = .prefix }
        for k in needed.decoded { wanted[k] = .block }
        let fetched = await fetcher.fetch(wanted)
        if !fetched.failures.isEmpty {
            warnings.append("object store: \(wanted.count - fetched.bytes.count) blocks unreadable, left out (\(fetched.failures.joined(separator: "; ")))")
        }
        return PreparedLogReader(tenant: plan.tenant, chunks: blocks(), ingested: ingested,
                                 bytes: .fetched(FetchedRanges(fetched.bytes)), warnings: warnings)
    }

    /// Runs `plan` over `reader`, for what the run asks of it. The blocks of a dry run hold
    /// nothing, so their scans run on the calling thread rather than a scan pool's.
    static func run(_ plan: LogQueryPlan, over reader: any LogReader) async throws(LogQLError) {
        do {
            try await ScanPool.$current.withValue(.callingThread) { try await dryRun(plan, over: reader) }
        } catch let e as LogQLError {
            throw e
        } catch {
            throw .execution("\(error)")
        }
    }

    private static func dryRun(_ plan: LogQueryPlan, over reader: any LogReader) async throws(LogQLError) {
        let engine = LogQLEngine(reader: reader)
        switch plan.kind {
        case .range(let step, let interval):
            _ = try await engine.queryRange(plan.query, tenant: plan.tenant, start: plan.start, end: plan.end, step: step,
                                            interval: interval, direction: plan.direction, limit: plan.limit)
        case .instant:
            _ = try await engine.queryInstant(plan.query, tenant: plan.tenant, time: plan.start, direction: plan.direction, limit: plan.limit)
        }
    }

    // Series and label lookups (synchronous) come from the bucket's indexes as last listed.

    private func indexStreams(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [Labels] {
        var seen = Set<Labels>()
        for source in bucket.latest(tenant: tenant).sources {
            for index in source.indexes {
                for (_, labels, _) in index.streams(tenant: tenant, matchers: matchers, from: from, through: through) { seen.insert(labels) }
            }
        }
        return seen.sorted { $0.description < $1.description }
    }

    func streams(tenant: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [StreamInfo] {
        indexStreams(tenant: tenant, matchers: matchers, from: from, through: through).enumerated().map {
            StreamInfo(id: UInt64($0.offset), tenant: tenant, labels: $0.element)
        }
    }

    func blocks(tenant: String, stream: UInt64, from: Int64, through: Int64) -> [any ReadableBlock] { [] }

    func labelNames(tenant: String, from: Int64, through: Int64) -> [String] {
        var names = Set<String>()
        for source in bucket.latest(tenant: tenant).sources {
            for index in source.indexes { index.labelNames(tenant: tenant, from: from, through: through, into: &names) }
        }
        return names.sorted()
    }

    func labelValues(tenant: String, name: String, matchers: [LabelMatcher], from: Int64, through: Int64) -> [String] {
        var values: [String] = []
        for source in bucket.latest(tenant: tenant).sources {
            for index in source.indexes { index.labelValues(tenant: tenant, name: name, matchers: matchers, from: from, through: through, into: &values) }
        }
        return Array(Set(values)).sorted()
    }
}
