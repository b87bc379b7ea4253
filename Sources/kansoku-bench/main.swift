import Foundation

/// `kansoku-bench SUITE [options]`: the hot paths measured beside the tools users would
/// otherwise reach for, in the same run. One JSON object per line; the last is a summary with
/// the ratios. Build with `-c release`; these are not unit tests.
let suites: [String: (summary: String, run: @Sendable ([String]) async throws -> Void)] = [
    "cardinality": ("many 3-line streams on a real server: push, RSS per stream, label values, counts", { try await CardinalityBench.run(arguments: $0) }),
    "isolation": ("push latency and rule lag idle vs under heavy queries, on a real server", { try await IsolationBench.run(arguments: $0) }),
    "logs-ingest": ("tail → WAL → zstd chunks, beside zstd -3 on 1 MiB pieces", { try await LogsIngestBench.run(arguments: $0) }),
    "explain": ("ranking what changed in a 1-hour window, beside the plain error query over it", { try await ExplainBench.run(arguments: $0) }),
    "logs-query": ("LogQL over the store, beside rg -z on one .zst per stream", { try await LogsQueryBench.run(arguments: $0) }),
    "objectstore": ("needle and one-stream queries through a querier on moto, cold and warm, beside a single node; bytes fetched", { try await ObjectStoreBench.run(arguments: $0) }),
    "metrics": ("Gorilla head append, bytes/sample and memory/series, beside Prometheus", { try await MetricsBench.run(arguments: $0) }),
    "remote-write": ("Prometheus remote write sent, backlogged and received, beside Prometheus 2.42", { try await RemoteWriteBench.run(arguments: $0) }),
    "promql": ("PromQL evaluation over the metric store", { try await PromQLBench.run(arguments: $0) }),
    "scrape": ("exposition parsing and scrape appends", { try await ScrapeBench.run(arguments: $0) }),
    "soak": ("sustained Loki pushes to a real server: data dir bound, RSS, replay time", { try await SoakBench.run(arguments: $0) }),
    "slo": ("one evaluation cycle of 1,000 SLOs over 30 days", { try await SLOBench.run(arguments: $0) }),
    "tui": ("render + diff per frame, bytes per idle refresh, idle CPU", { try await TUIBench.run(arguments: $0) }),
]

let args = Array(CommandLine.arguments.dropFirst())
guard let name = args.first, name != "--help", name != "-h", let suite = suites[name] else {
    var usage = "usage: kansoku-bench SUITE [--corpus DIR] [suite options]\n\nsuites:\n"
    for key in suites.keys.sorted() { usage += "  \(key.padding(toLength: 12, withPad: " ", startingAt: 0)) \(suites[key]!.summary)\n" }
    let asked = args.first == "--help" || args.first == "-h"
    FileHandle(fileDescriptor: asked ? 1 : 2).write(Data(usage.utf8))
    exit(asked ? 0 : 2)
}
do {
    try await suite.run(Array(args.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("kansoku-bench \(name): \(error)\n".utf8))
    exit(1)
}
let mismatches = BenchOracle.mismatches
if !mismatches.isEmpty {
    FileHandle.standardError.write(Data("kansoku-bench \(name): \(mismatches.count) results differ from the peer's:\n  \(mismatches.joined(separator: "\n  "))\n".utf8))
    exit(1)
}
