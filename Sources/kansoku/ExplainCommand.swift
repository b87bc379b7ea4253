import ArgumentParser
import Foundation
import KansokuCore
import KansokuExplain
import KansokuServer

struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "What changed: the values and patterns over-represented in a query's lines against a baseline.",
        discussion: """
        The window's lines (the query's) are compared with the baseline's: by default every line of the
        query's streams in the same length of time just before (previous), or the same hours a day
        earlier (yesterday), or any range given with --baseline-from and --baseline-to (range), or the
        window's lines the query leaves out (rest). Values of stream labels,
        fields parsed from the lines (logfmt, JSON, nginx/Apache access logs) and log patterns are ranked
        by share in the window minus share in the baseline. Ids and timestamps are left out, numbers
        bucketed; large windows are sampled evenly, and the output says so.

        Examples:
          kansoku explain --since 1h '{service="streaming"} |~ "error"'
          kansoku explain --since 1h --filter upstream=origin-3 -o json '{service="streaming"} |~ "error"'
          kansoku explain --since 1h --baseline-from -3h --baseline-to -2h '{service="streaming"} |~ "error"'
        """
    )

    @OptionGroup var source: SourceOptions
    @OptionGroup var range: TimeRangeOptions

    @Option(name: .long, help: "previous, yesterday, range (with --baseline-from/--baseline-to) or rest.")
    var baseline: String?

    // Unconditional: `--baseline-from -3h` takes `-3h` as its value, not as an option.
    @Option(name: .long, parsing: .unconditional, help: "Start of a chosen baseline: RFC3339, unix seconds, now-3h or -3h.")
    var baselineFrom: String?

    @Option(name: .long, parsing: .unconditional, help: "End of a chosen baseline: RFC3339, unix seconds, now-2h or -2h.")
    var baselineTo: String?

    @Option(name: .long, help: "Keep only lines with this value (name=value, as a row shows it); repeatable.")
    var filter: [String] = []

    @Option(name: .long, help: "Most lines read from each side; more are sampled (1–\(ExplainRequest.maxSampleLines)).")
    var limit: Int = ExplainRequest.defaultSampleLines

    @Option(name: .long, help: "How many changed values to list.")
    var top: Int = 20

    @Option(name: .shortAndLong, help: "Output: table or json.")
    var output: String = "table"

    @Argument(help: "A LogQL log query: its selector picks the streams, its filters the window's lines.")
    var query: String

    func validate() throws {
        if let baseline, BaselineChoice(rawValue: baseline) == nil {
            throw ValidationError("--baseline: expected previous, yesterday, range or rest")
        }
        guard (baselineFrom == nil) == (baselineTo == nil) else { throw ValidationError("--baseline-from and --baseline-to go together") }
        if baselineFrom != nil, let baseline, baseline != BaselineChoice.range.rawValue {
            throw ValidationError("--baseline-from/--baseline-to choose a range baseline, not \(baseline)")
        }
        if baseline == BaselineChoice.range.rawValue, baselineFrom == nil {
            throw ValidationError("--baseline range needs --baseline-from and --baseline-to")
        }
        _ = try baselineRange(now: TimeParser.currentNanos())
        for f in filter where ExplainFilter(parsing: f) == nil { throw ValidationError("--filter: expected name=value, got \"\(f)\"") }
        guard (1...ExplainRequest.maxSampleLines).contains(limit) else { throw ValidationError("--limit must be between 1 and \(ExplainRequest.maxSampleLines)") }
        guard (1...ExplainRequest.maxTop).contains(top) else { throw ValidationError("--top must be between 1 and \(ExplainRequest.maxTop)") }
        guard output == "table" || output == "json" else { throw ValidationError("-o: expected table or json") }
    }

    /// The chosen baseline, when --baseline-from and --baseline-to give one.
    func baselineRange(now: Int64) throws -> BaselineRange? {
        guard let from = baselineFrom, let to = baselineTo else { return nil }
        do {
            return try BaselineRange(start: BaselineRange.time(from, now: now), end: BaselineRange.time(to, now: now)).validated()
        } catch { throw ValidationError("--baseline-from/--baseline-to: \(error)") }
    }

    func run() async throws {
        let (start, end) = try range.resolve()
        var request = ExplainRequest(query: query, start: start, end: end)
        request.baseline = baseline.flatMap(BaselineChoice.init(rawValue:)) ?? .previous
        if let range = try baselineRange(now: TimeParser.currentNanos()) {
            request.baselineRange = range
            request.baseline = .range
        }
        request.filters = filter.compactMap(ExplainFilter.init(parsing:))
        request.sampleLines = limit
        request.top = top
        let data: Data = try await runQuery {
            if let dir = source.dataDir {
                return try await LocalData.explain(directory: dir, tenant: source.orgId ?? "fake", request: request)
            }
            var params = [("query", query), ("start", String(start)), ("end", String(end)), ("baseline", request.baseline.rawValue),
                          ("limit", String(limit)), ("top", String(top))]
            params += filter.map { ("filter", $0) }
            if let range = request.baselineRange { params += [("baseline_start", String(range.start)), ("baseline_end", String(range.end))] }
            return try await source.client().get("/kansoku/api/v1/explain", params)
        }
        if output == "json" {
            FileHandle.standardOutput.write(data + Data("\n".utf8))
            return
        }
        let report: ExplainReport
        do { report = try ExplainJSON.decode(ExplainReport.self, from: data) } catch {
            throw CommandFailure("the server's explain answer could not be read: \(error)")
        }
        FileHandle.standardOutput.write(Data(ExplainTable.render(report, color: TerminalColor.enabled()).utf8))
    }
}
