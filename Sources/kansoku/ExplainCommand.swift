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
        earlier (yesterday), or the window's lines the query leaves out (rest). Values of stream labels,
        fields parsed from the lines (logfmt, JSON, nginx/Apache access logs) and log patterns are ranked
        by share in the window minus share in the baseline. Ids and timestamps are left out, numbers
        bucketed; large windows are sampled evenly, and the output says so.

        Examples:
          kansoku explain --since 1h '{service="streaming"} |~ "error"'
          kansoku explain --since 1h --filter upstream=origin-3 -o json '{service="streaming"} |~ "error"'
        """
    )

    @OptionGroup var source: SourceOptions
    @OptionGroup var range: TimeRangeOptions

    @Option(name: .long, help: "previous, yesterday or rest.")
    var baseline: String = BaselineChoice.previous.rawValue

    @Option(name: .long, help: "Keep only lines with this value (name=value, as a row shows it); repeatable.")
    var filter: [String] = []

    @Option(name: .long, help: "Most lines read from each side; more are sampled (1–\(ExplainRequest.maxSampleLines)).")
    var limit: Int = 5000

    @Option(name: .long, help: "How many changed values to list.")
    var top: Int = 20

    @Option(name: .shortAndLong, help: "Output: table or json.")
    var output: String = "table"

    @Argument(help: "A LogQL log query: its selector picks the streams, its filters the window's lines.")
    var query: String

    func validate() throws {
        guard BaselineChoice(rawValue: baseline) != nil else { throw ValidationError("--baseline: expected previous, yesterday or rest") }
        for f in filter where ExplainFilter(parsing: f) == nil { throw ValidationError("--filter: expected name=value, got \"\(f)\"") }
        guard (1...ExplainRequest.maxSampleLines).contains(limit) else { throw ValidationError("--limit must be between 1 and \(ExplainRequest.maxSampleLines)") }
        guard (1...ExplainRequest.maxTop).contains(top) else { throw ValidationError("--top must be between 1 and \(ExplainRequest.maxTop)") }
        guard output == "table" || output == "json" else { throw ValidationError("-o: expected table or json") }
    }

    func run() async throws {
        let (start, end) = try range.resolve()
        var request = ExplainRequest(query: query, start: start, end: end)
        request.baseline = BaselineChoice(rawValue: baseline) ?? .previous
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
