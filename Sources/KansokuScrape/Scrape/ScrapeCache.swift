public import KansokuCore
import KansokuMetricStore

/// What one scrape of one target produced, ready to append.
public struct ScrapeBatch: Sendable {
    /// Scraped samples (after target labels) followed by stale markers for vanished series.
    public var samples: [(labels: Labels, t: Int64, v: Double)] = []
    /// Samples in the body (`scrape_samples_scraped`).
    public var scraped = 0
    /// Samples kept after label processing (`scrape_samples_post_metric_relabeling`).
    public var postRelabeling = 0
    /// Series not seen in the previous scrape (`scrape_series_added`).
    public var seriesAdded = 0
    /// Stale markers written for series that disappeared.
    public var staleMarkers = 0
}

/// Per-target memory between scrapes: raw series bytes → final labels (so known series are
/// not re-parsed into strings every scrape) and which series the last scrape returned, for
/// staleness markers (`StaleNaN`), as Prometheus's `scrapeCache`.
public struct ScrapeCache: Sendable {
    struct Entry: Sendable {
        var labels: Labels
        var lastSeen: UInt64
        /// Series with explicit timestamps are not marked stale (Prometheus does the same).
        var tracksStaleness: Bool
    }

    private var entries: [ArraySlice<UInt8>: Entry] = [:]
    /// The strings of the entries' labels, each held once. The head pools what it is given,
    /// so a scraped series' labels are shared with it rather than copied.
    private var strings = StringPool()
    private var iteration: UInt64 = 0
    /// HELP/TYPE/UNIT of the families the last successful scrape declared, by family name
    /// (Prometheus's scrape cache metadata, which remote write sends).
    public private(set) var metadata: [String: FamilyMetadata] = [:]
    /// Bumped whenever `metadata` changes, so readers copy it only then.
    public private(set) var metadataVersion = 0
    public let target: TargetLabels
    public let honorTimestamps: Bool

    public init(target: TargetLabels, honorTimestamps: Bool = true) {
        self.target = target
        self.honorTimestamps = honorTimestamps
    }

    /// Number of series the last successful scrape returned.
    public var seriesCount: Int { entries.count }

    /// Parses `body` into a batch stamped `time` (ms) plus stale markers for series of the
    /// previous scrape that are gone. A parse error leaves the cache as it was before.
    public mutating func ingest(
        _ body: [UInt8], format: ExpositionFormat, time: Int64
    ) throws(ExpositionError) -> ScrapeBatch {
        switch format {
        case .prometheusText:
            var p = PromTextParser(body)
            return try ingest(&p, time: time)
        case .openMetrics:
            var p = OpenMetricsParser(body)
            return try ingest(&p, time: time)
        }
    }

    mutating func ingest<P: ExpositionParser>(_ parser: inout P, time: Int64) throws(ExpositionError) -> ScrapeBatch {
        let now = iteration + 1
        var batch = ScrapeBatch()
        batch.samples.reserveCapacity(entries.count + 16)
        var added: [ArraySlice<UInt8>] = []
        var declared: [String: FamilyMetadata] = [:]
        do {
            while let entry = try parser.next() {
                switch entry {
                case .sample: break
                case .help(let family, let text): declared[family, default: FamilyMetadata()].help = text; continue
                case .type(let family, let type): declared[family, default: FamilyMetadata()].type = type; continue
                case .unit(let family, let unit): declared[family, default: FamilyMetadata()].unit = unit; continue
                }
                batch.scraped += 1
                let explicit = honorTimestamps ? parser.sampleTimestamp : nil
                let key = parser.sampleSeriesKey
                let labels: Labels
                if let i = entries.index(forKey: key) {
                    let e = entries.values[i]
                    labels = e.labels
                    entries.values[i].lastSeen = now
                    entries.values[i].tracksStaleness = explicit == nil
                } else {
                    let scraped = normalizingBucketLabels(parser.sampleLabels(), type: parser.sampleType)
                    labels = strings.intern(target.apply(to: scraped))
                    let owned = ArraySlice(Array(key))
                    entries[owned] = Entry(labels: labels, lastSeen: now, tracksStaleness: explicit == nil)
                    added.append(owned)
                    batch.seriesAdded += 1
                }
                batch.samples.append((labels, explicit ?? time, parser.sampleValue))
            }
        } catch {
            for k in added { entries[k] = nil }
            // Every entry left from the last scrape was seen at `iteration`.
            for i in entries.indices where entries.values[i].lastSeen == now { entries.values[i].lastSeen = iteration }
            throw error
        }
        batch.postRelabeling = batch.samples.count
        iteration = now
        if declared != metadata {
            metadata = declared
            metadataVersion += 1
        }
        let gone = entries.filter { $0.value.lastSeen != now }
        guard !gone.isEmpty else { return batch }
        // Series come and go: the strings of those gone leave the pool.
        defer { strings.prune(keeping: entries.values.lazy.map(\.labels)) }
        // Two raw spellings can name one series; a series still present is not stale.
        let live = Set(batch.samples.lazy.map(\.labels))
        var staled = Set<Labels>()
        for (key, e) in gone {
            if e.tracksStaleness && !live.contains(e.labels) && staled.insert(e.labels).inserted {
                batch.samples.append((e.labels, time, StaleNaN.value))
                batch.staleMarkers += 1
            }
            entries[key] = nil
        }
        return batch
    }

    /// Stale markers for every series of the last scrape, which is then forgotten: after a
    /// failed scrape, or when the target goes away.
    public mutating func markAllStale(time: Int64) -> [(labels: Labels, t: Int64, v: Double)] {
        var out: [(labels: Labels, t: Int64, v: Double)] = []
        var seen = Set<Labels>()
        for e in entries.values where e.tracksStaleness && seen.insert(e.labels).inserted {
            out.append((e.labels, time, StaleNaN.value))
        }
        entries.removeAll()
        strings = StringPool()
        iteration += 1
        return out
    }
}
