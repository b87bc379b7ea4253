import KansokuCore
import Logging
@testable import KansokuMetricStore

/// A fresh directory under /tmp, removed by `cleanup()`.
struct TempDir {
    let path: String

    init(_ name: String = #function) {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        path = "/tmp/kansoku-metricstore-\(safe)-\(UInt32.random(in: 0...UInt32.max))"
        try? FileIO.removeTree(path)
    }

    func cleanup() { try? FileIO.removeTree(path) }
}

let quietLogger: Logger = {
    var l = Logger(label: "test")
    l.logLevel = .critical
    return l
}()

func labels(_ pairs: [String: String]) -> Labels { Labels(pairs) }

func eq(_ name: String, _ value: String) -> LabelMatcher {
    try! LabelMatcher(name: name, type: .equal, value: value)
}

func matcher(_ name: String, _ type: MatchType, _ value: String) -> LabelMatcher {
    try! LabelMatcher(name: name, type: type, value: value)
}

func openStore(_ dir: TempDir, blockHours: Int64 = 2, retentionHours: Int64 = 24 * 15, maxBlockHours: Int64 = 0) throws -> MetricStore {
    try MetricStore.open(
        MetricStoreConfig(directory: dir.path, retention: retentionHours * MetricStoreConfig.hour,
                          blockDuration: blockHours * MetricStoreConfig.hour, walSegmentSize: 64 << 10,
                          maxBlockDuration: maxBlockHours * MetricStoreConfig.hour),
        logger: quietLogger)
}

let hour = MetricStoreConfig.hour
let base: Int64 = 1_700_000_000_000 / (2 * 3_600_000) * (2 * 3_600_000)  // 2h-aligned
