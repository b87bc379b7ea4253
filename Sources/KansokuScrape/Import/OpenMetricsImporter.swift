import KansokuCore
public import KansokuMetricStore

/// Backfills an OpenMetrics file with timestamps into metric-store blocks, as
/// `promtool tsdb create-blocks-from openmetrics` does (`kansoku metrics import FILE`).
///
/// The file is read twice: a first pass checks all of it, so bad input is reported with its
/// line:column before anything is written; the second streams samples into the store's
/// block import. Samples without a timestamp are an error (backfill needs times).
public enum OpenMetricsImporter {
    /// Progress of an import, reported every `progressEvery` samples and at each phase end.
    public struct Progress: Sendable, Hashable {
        public enum Phase: String, Sendable, Hashable { case checking, writing, done }
        public var phase: Phase
        public var samples: Int
        public var totalSamples: Int
        public var bytes: Int
        public var totalBytes: Int
    }

    public enum ImportError: Error, Sendable, Hashable, CustomStringConvertible {
        case malformed(file: String, ExpositionError)
        case missingTimestamp(file: String, line: Int, metric: String)
        case empty(file: String)
        case store(MetricStoreError)
        case io(file: String, String)

        public var description: String {
            switch self {
            case .malformed(let f, let e): "\(f):\(e)"
            case .missingTimestamp(let f, let line, let metric):
                "\(f):\(line): sample of \(metric) has no timestamp; backfill needs a timestamp (in seconds) on every sample"
            case .empty(let f): "\(f): no samples to import"
            case .store(let e): "writing blocks: \(e)"
            case .io(let f, let m): "\(f): \(m)"
            }
        }
    }

    /// Imports `bytes` (named `file` in errors) into `store`.
    public static func importOpenMetrics(
        _ bytes: [UInt8], file: String = "<input>", into store: MetricStore, progressEvery: Int = 100_000,
        progress: (@Sendable (Progress) -> Void)? = nil
    ) async throws(ImportError) -> MetricImportResult {
        // Pass 1: validate everything, count samples.
        var parser = OpenMetricsParser(bytes)
        var total = 0
        do {
            while let entry = try parser.next() {
                guard case .sample = entry else { continue }
                guard parser.sampleTimestamp != nil else {
                    throw ImportError.missingTimestamp(file: file, line: parser.scanner.line - 1, metric: parser.sampleName)
                }
                total += 1
                if total % progressEvery == 0 {
                    progress?(Progress(phase: .checking, samples: total, totalSamples: 0,
                                       bytes: parser.scanner.pos, totalBytes: bytes.count))
                }
            }
        } catch let e as ImportError {
            throw e
        } catch let e as ExpositionError {
            throw .malformed(file: file, e)
        } catch {
            throw .io(file: file, "\(error)")
        }
        guard total > 0 else { throw .empty(file: file) }
        progress?(Progress(phase: .checking, samples: total, totalSamples: total, bytes: bytes.count, totalBytes: bytes.count))

        // Pass 2: stream into blocks.
        let samples = ImportSamples(bytes: bytes, total: total, every: progressEvery, progress: progress)
        let result: MetricImportResult
        do { result = try await store.importBlocks(samples: samples) } catch { throw .store(error) }
        progress?(Progress(phase: .done, samples: result.samples, totalSamples: total, bytes: bytes.count,
                           totalBytes: bytes.count))
        return result
    }

    /// Reads `path` and imports it.
    public static func importFile(
        _ path: String, into store: MetricStore, progressEvery: Int = 100_000,
        progress: (@Sendable (Progress) -> Void)? = nil
    ) async throws(ImportError) -> MetricImportResult {
        let bytes: [UInt8]
        do { bytes = try readWholeFile(path) } catch { throw .io(file: path, error.description) }
        return try await importOpenMetrics(bytes, file: path, into: store, progressEvery: progressEvery, progress: progress)
    }
}

/// The samples of an already validated body, parsed again lazily (nothing held in memory
/// but the current sample), with `le`/`quantile` normalized as a scrape would store them.
struct ImportSamples: Sequence {
    let bytes: [UInt8]
    let total: Int
    let every: Int
    let progress: (@Sendable (OpenMetricsImporter.Progress) -> Void)?

    struct Iterator: IteratorProtocol {
        var parser: OpenMetricsParser
        var count = 0
        let samples: ImportSamples
        var cacheKey: ArraySlice<UInt8> = []
        var cacheLabels = Labels()

        mutating func next() -> (Labels, Int64, Double)? {
            // The body was validated by the first pass, so parsing cannot fail here.
            while let entry = try? parser.next() {
                guard case .sample = entry else { continue }
                count += 1
                if count % samples.every == 0 {
                    samples.progress?(.init(phase: .writing, samples: count, totalSamples: samples.total,
                                            bytes: parser.scanner.pos, totalBytes: samples.bytes.count))
                }
                let key = parser.sampleSeriesKey
                if key != cacheKey {
                    cacheKey = key
                    cacheLabels = normalizingBucketLabels(parser.sampleLabels(), type: parser.sampleType)
                }
                return (cacheLabels, parser.sampleTimestamp ?? 0, parser.sampleValue)
            }
            return nil
        }
    }

    func makeIterator() -> Iterator { Iterator(parser: OpenMetricsParser(bytes), samples: self) }
}
