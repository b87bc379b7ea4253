import ArgumentParser
import Foundation
import KansokuCore
import KansokuServer

struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Query metrics with PromQL, or backfill history.",
        subcommands: [MetricsQueryCommand.self, MetricsImportCommand.self]
    )
}

struct MetricsQueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run a PromQL query against a server.",
        discussion: """
        Examples:
          kansoku metrics query 'sum by (job) (rate(http_requests_total[5m]))'
          kansoku metrics query --start now-1h --end now --step 1m -o json 'up'
        """
    )
    @OptionGroup var source: SourceOptions
    @Option(name: .long, help: "Evaluation time of an instant query (default now).") var time: String?
    @Option(name: .long, help: "Start of a range query.") var start: String?
    @Option(name: .long, help: "End of a range query (default now).") var end: String?
    @Option(name: .long, help: "Step of a range query (default: 250 points over the range).") var step: String?
    @Option(name: .shortAndLong, help: "Output: table, json.") var output: OutputFormat = .table
    @Argument(help: "The PromQL query.") var query: String

    func validate() throws {
        if source.dataDir != nil { throw ValidationError("metrics query needs a running server (--addr)") }
        if time != nil && (start != nil || end != nil) { throw ValidationError("--time is for instant queries; use --start/--end/--step for a range") }
        if step != nil && start == nil { throw ValidationError("--step needs --start") }
    }

    func run() async throws {
        let now = TimeParser.currentNanos()
        let result: QueryResultModel = try await runQuery {
            if let start {
                let s = try parseTime(start, now: now, flag: "--start")
                let e = try end.map { try parseTime($0, now: now, flag: "--end") } ?? now
                guard e >= s else { throw ValidationError("--end is before --start") }
                let d: PromDuration
                if let step {
                    guard let parsed = PromDuration(durationOrSeconds: step), parsed.milliseconds > 0 else { throw ValidationError("--step: expected a duration such as 1m, got \"\(step)\"") }
                    d = parsed
                } else {
                    d = PromDuration(milliseconds: max(1000, (e - s) / 1_000_000 / 250))
                }
                return try await source.client().promQuery(query, time: nil, range: (s, e, d))
            }
            let t = try time.map { try parseTime($0, now: now, flag: "--time") } ?? now
            return try await source.client().promQuery(query, time: t, range: nil)
        }
        printResult(result, format: output == .default ? .table : output)
    }
}

struct MetricsImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Backfill an OpenMetrics file with timestamps into blocks (like promtool tsdb create-blocks-from openmetrics).",
        discussion: "Run it against a stopped server's data directory; the server picks the blocks up when it starts."
    )
    @Option(name: .long, help: "Data directory of the (stopped) server.") var dataDir: String = "./data"
    @Flag(name: .long, help: "No progress output.") var quiet = false
    @Argument(help: "OpenMetrics text with timestamps, ending in # EOF.") var file: String

    static func showProgress(_ name: String, done: Int, total: Int) {
        let pct = total > 0 ? Int(Double(done) / Double(total) * 100) : 0
        FileHandle.standardError.write(Data("\rimporting \(name): \(pct)%".utf8))
    }

    func run() async throws {
        do {
            let name = file
            var report: (@Sendable (Int, Int) -> Void)?
            if !quiet { report = { @Sendable done, total in Self.showProgress(name, done: done, total: total) } }
            let summary = try await MetricsBackfill.run(file: file, dataDirectory: dataDir, progress: report)
            if !quiet { FileHandle.standardError.write(Data("\n".utf8)) }
            print(summary)
        } catch let e as ClientError {
            throw CommandFailure(e.description)
        }
    }
}
