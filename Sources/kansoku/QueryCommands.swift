import ArgumentParser
import Foundation
import KansokuCore
import KansokuServer

struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run a LogQL query (log lines, or a metric query with --instant).",
        discussion: """
        Examples:
          kansoku query '{app="nginx"} |= "error"' --since 30m
          kansoku query --instant 'sum by (status) (count_over_time({app="nginx"} | pattern `<_> "<_> <_> <_>" <status> <_>` [5m]))'
          kansoku query --data-dir ./data -o raw '{app="api"}' --from 2024-01-01T00:00:00Z --to 2024-01-01T01:00:00Z
          kansoku query --since 24h --limit 50000 -o jsonl '{app="api"}' > api.jsonl
          kansoku query --instant -- '-1 + 2'

        A --limit above what the server returns at once (its max_entries_limit_per_query) is
        fetched in batches of --batch lines, as logcli does; --limit 0 fetches every line.
        A query that starts with "-" goes after "--", which ends the options.
        """
    )

    @OptionGroup var source: SourceOptions
    @OptionGroup var range: TimeRangeOptions

    @Option(name: .long, help: "Most lines to return (0 = every line in the range).")
    var limit: Int = 30

    @Option(name: .long, help: "Lines per request when --limit needs several.")
    var batch: Int = 1000

    @Flag(name: .long, help: "Oldest lines first (default newest first).")
    var forward = false

    @Flag(name: [.customShort("t"), .long], help: "Follow new lines as the server accepts them (the newest --limit lines of the range first).")
    var tail = false

    @Option(name: .long, help: "With --tail: hold lines back this many seconds (0-5) so late ones come out in time order.")
    var delayFor = 0

    @Flag(name: .long, help: "Evaluate a metric query at one time (--time).")
    var instant = false

    @Option(name: .long, help: "Evaluation time for --instant (default now).")
    var time: String?

    @Option(name: .long, help: "Step of a metric range query (e.g. 1m).")
    var step: String?

    @Option(name: .shortAndLong, help: "Output: default, raw, jsonl (logs); table, json (metrics).")
    var output: OutputFormat = .default

    @Argument(help: "The LogQL query (after \"--\" when it starts with \"-\").")
    var query: String

    func validate() throws {
        if limit < 0 { throw ValidationError("--limit must be ≥ 0") }
        if batch < 1 { throw ValidationError("--batch must be ≥ 1") }
        if tail && instant { throw ValidationError("--tail and --instant cannot be combined") }
        if !(0...5).contains(delayFor) { throw ValidationError("--delay-for must be between 0 and 5 seconds") }
        if tail && source.dataDir != nil { throw ValidationError("--tail needs a running server (--addr), not --data-dir") }
        if let step, PromDuration(durationOrSeconds: step) == nil { throw ValidationError("--step: expected a duration such as 1m, got \"\(step)\"") }
    }

    func run() async throws {
        if tail { return try await follow() }
        let stepDuration = step.flatMap { PromDuration(durationOrSeconds: $0) }
        var (start, end) = try range.resolve()
        if instant { end = try time.map { try parseTime($0, flag: "--time") } ?? TimeParser.currentNanos() }
        if let dir = source.dataDir {
            let result = try await runQuery {
                try await LocalData.logQuery(directory: dir, tenant: source.orgId ?? "fake", query: query, start: start, end: end,
                                             limit: limit, forward: forward, step: stepDuration, instant: instant)
            }
            printResult(result, format: output, forward: forward)
        } else if instant {
            let result = try await runQuery {
                try await source.client().logQuery(query, start: start, end: end, limit: limit, forward: forward, step: nil, instant: true)
            }
            printResult(result, format: output, forward: forward)
        } else {
            let client = try source.client()
            let pager = LogQueryPager(limit: limit, batchSize: batch, forward: forward)
            _ = try await runQuery {
                try await pager.run(start: start, end: end) { size, from, through in
                    try await client.logQuery(query, start: from, end: through, limit: size, forward: forward,
                                              step: stepDuration, instant: false)
                } emit: { printResult($0, format: output, forward: forward) }
            }
        }
    }

    /// Follows the server's live tail: the newest `--limit` lines of the range, then every
    /// matching line as the server accepts it (late ones included), until interrupted.
    func follow() async throws {
        let (start, _) = try range.resolve()
        let format = output
        try await runQuery {
            try await source.client().tail(query, start: start, limit: limit, delayFor: delayFor) { message in
                printResult(.streams(message.streams), format: format, forward: true, keepsOrder: true)
                for d in message.dropped {
                    FileHandle.standardError.write(Data("dropped (reading too slowly): \(d.labels) \(TimeFormatter.rfc3339Nano(d.timestamp))\n".utf8))
                }
            }
        }
    }
}

struct LabelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labels",
        abstract: "List log label names, or the values of one label."
    )
    @OptionGroup var source: SourceOptions
    @OptionGroup var range: TimeRangeOptions
    @Option(name: .shortAndLong, help: "Output: default, json.") var output: OutputFormat = .default
    @Argument(help: "A label name whose values to list.") var name: String?

    func run() async throws {
        let (start, end) = try range.resolve()
        let values: [String] = try await runQuery {
            if let dir = source.dataDir {
                return try await LocalData.labels(directory: dir, tenant: source.orgId ?? "fake", name: name, start: start, end: end)
            }
            let path = name.map { "/loki/api/v1/label/\($0)/values" } ?? "/loki/api/v1/labels"
            return try await source.client().stringList(path, [("start", String(start)), ("end", String(end))])
        }
        if output == .json || output == .jsonl {
            var w = JSONWriter(); w.beginArray(); for v in values { w.string(v) }; w.endArray()
            print(String(decoding: w.bytes, as: UTF8.self))
        } else {
            for v in values { print(v) }
        }
    }
}

struct SeriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "series",
        abstract: "List the log streams a selector matches."
    )
    @OptionGroup var source: SourceOptions
    @OptionGroup var range: TimeRangeOptions
    @Option(name: .shortAndLong, help: "Output: default, json.") var output: OutputFormat = .default
    @Argument(help: "A stream selector such as '{app=\"nginx\"}'.") var selector: String

    func run() async throws {
        let (start, end) = try range.resolve()
        let sets: [Labels] = try await runQuery {
            if let dir = source.dataDir {
                return try await LocalData.series(directory: dir, tenant: source.orgId ?? "fake", selector: selector, start: start, end: end)
            }
            return try await source.client().labelSets("/loki/api/v1/series", [("match[]", selector), ("start", String(start)), ("end", String(end))])
        }
        for s in sets {
            if output == .json || output == .jsonl {
                var w = JSONWriter(); w.labels(s); print(String(decoding: w.bytes, as: UTF8.self))
            } else {
                print(s.description)
            }
        }
    }
}
