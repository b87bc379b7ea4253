import KansokuCore
public import KansokuLogQL

/// Which lines the window is compared with.
public enum BaselineChoice: String, Sendable, CaseIterable, Codable {
    /// The same length of time just before the window.
    case previous
    /// The same hours a day earlier.
    case yesterday
    /// A range the user chose (`ExplainRequest.baselineRange`).
    case range
    /// The window's own lines that the query leaves out (its filters' complement).
    case rest

    /// The next choice `b` steps to: previous, yesterday, a chosen range, previous again (`rest`
    /// is asked for by name, or taken when the baseline has no lines).
    public var next: BaselineChoice {
        switch self {
        case .previous: return .yesterday
        case .yesterday: return .range
        case .range, .rest: return .previous
        }
    }
}

/// What to explain.
public struct ExplainRequest: Sendable {
    /// A LogQL log query: the selector picks the streams, its filters pick the window's lines.
    public var query: String
    public var start: Int64
    public var end: Int64
    public var baseline: BaselineChoice = .previous
    /// The baseline's range when `baseline` is `.range`.
    public var baselineRange: BaselineRange?
    public var filters: [ExplainFilter] = []
    /// Lines read from each side at most; more are sampled evenly across the range.
    public var sampleLines = Self.defaultSampleLines
    public var top = 20

    /// 2,500 lines put a share within about one point (one standard error at most 1%) of
    /// the side's own, enough to rank what changed by several points; reading and ranking
    /// twice as many costs twice the blocks and twice the ranking for half that error.
    public static let defaultSampleLines = 2500
    public static let maxSampleLines = 100_000
    public static let maxTop = 500
    public static let maxSpan: Int64 = 31 * 86_400 * 1_000_000_000

    public init(query: String, start: Int64, end: Int64) {
        self.query = query
        self.start = start
        self.end = end
    }
}

/// Reads a window's lines and a baseline's through LogQL and compares them.
public struct Explainer: Sendable {
    let engine: LogQLEngine
    let tenant: String
    let fields = LineFields()

    public init(engine: LogQLEngine, tenant: String) {
        self.engine = engine
        self.tenant = tenant
    }

    public func explain(_ r: ExplainRequest) async throws(ExplainError) -> ExplainReport {
        guard r.end > r.start else { throw .invalidArgument("end must be after start") }
        guard r.end - r.start <= ExplainRequest.maxSpan else { throw .invalidArgument("the window may span at most 31 days") }
        guard (1...ExplainRequest.maxSampleLines).contains(r.sampleLines) else {
            throw .invalidArgument("sample lines must be between 1 and \(ExplainRequest.maxSampleLines)")
        }
        guard (1...ExplainRequest.maxTop).contains(r.top) else { throw .invalidArgument("top must be between 1 and \(ExplainRequest.maxTop)") }
        let selector = try Self.selector(of: r.query)
        let span = r.end - r.start

        let day: Int64 = 86_400_000_000_000
        var (bs, be) = r.baseline == .yesterday ? (r.start - day, r.end - day) : (r.start - span, r.start)
        if r.baseline == .range {
            guard let chosen = r.baselineRange else { throw .invalidArgument("a range baseline needs its start and end") }
            let range = try chosen.validated()
            (bs, be) = (range.start, range.end)
        }
        // One pass over the baseline's range: the query's lines there (patterns seen before) and,
        // unless the window's other lines are the baseline, all of its lines.
        var kind = r.baseline
        var note: String?
        let before = try await read(r.query, bs, be, limit: r.sampleLines, sides: kind == .rest ? [] : .all)
        var baseline = before.all
        if kind != .rest, baseline.lines.isEmpty {
            let missing = kind == .yesterday ? "same window yesterday" : kind == .range ? "chosen range" : "previous window"
            note = "no lines in the \(missing); compared with the window's other lines"
            kind = .rest
        }
        // One pass over the window: its lines, and those the query leaves out when they are the baseline.
        let window = try await read(r.query, r.start, r.end, limit: r.sampleLines, sides: kind == .rest ? .other : [])
        var baselineQuery = selector.text
        if kind == .rest {
            baseline = window.other
            baselineQuery = "\(selector.text) (lines \(r.query) leaves out)"
        }

        var analysis = ExplainAnalysis(window: window.matching.lines, baseline: baseline.lines, start: r.start, end: r.end)
        analysis.patternBaseline = before.matching.lines
        analysis.ignoredLabels = selector.fixedLabels
        analysis.filters = r.filters
        analysis.top = r.top
        let result = analysis.run(fields: fields)
        if result.baselineLines == 0, !r.filters.isEmpty {
            note = (note.map { $0 + "; " } ?? "") + "no baseline line has the filtered values: shares are the window's alone"
        }
        let (rs, re) = kind == .rest ? (r.start, r.end) : (bs, be)
        return ExplainReport(
            query: r.query, filters: r.filters,
            window: ExplainSide(kind: "window", query: r.query, start: TimeFormatter.rfc3339Nano(r.start), end: TimeFormatter.rfc3339Nano(r.end),
                                lines: result.windowLines, sampled: window.matching.sampled),
            baseline: ExplainSide(kind: kind.rawValue, query: baselineQuery, start: TimeFormatter.rfc3339Nano(rs), end: TimeFormatter.rfc3339Nano(re),
                                  lines: result.baselineLines, sampled: baseline.sampled),
            note: note, scoring: ExplainReport.scoringText, changes: result.changes, patterns: result.patterns, skipped: result.skipped)
    }

    /// The query's stream selector alone, and the labels its `=` matchers fix.
    public static func selector(of query: String) throws(ExplainError) -> (text: String, fixedLabels: Set<String>) {
        let expr: LogQLExpr
        do { expr = try LogQLParser.parse(query) } catch { throw .invalidQuery(error.description) }
        guard case .log(let sel) = expr else { throw .invalidQuery("explain needs a log query, not a metric query") }
        let text = "{" + sel.matchers.map(\.description).joined(separator: ", ") + "}"
        return (text, Set(sel.matchers.filter { $0.type == .equal }.map(\.name)))
    }

    /// Up to `limit` lines of each side of `query` in [start, end), read in one pass over blocks
    /// spread across the range (`LogQLEngine.sampleRange`).
    public func read(_ query: String, _ start: Int64, _ end: Int64, limit: Int,
                     sides: LogSample.Sides = []) async throws(ExplainError) -> ExplainRead {
        let sample: LogSample
        do { sample = try await engine.sampleRange(query, tenant: tenant, start: start, end: end, limit: limit, sides: sides) } catch {
            throw .query(error)
        }
        func lines(_ side: LogSample.Side) -> ExplainLines {
            ExplainLines(lines: side.entries.map { ExplainLine(timestamp: $0.timestamp, labels: $0.labels, line: String(decoding: $0.line, as: UTF8.self)) },
                         sampled: side.sampled)
        }
        return ExplainRead(matching: lines(sample.matching), other: lines(sample.other), all: lines(sample.all),
                           blocksRead: sample.blocksRead, blocksInRange: sample.blocksInRange)
    }
}

/// One side's lines as explain compares them.
public struct ExplainLines: Sendable {
    public var lines: [ExplainLine]
    /// More lines than these were there (see `LogSample.Side.sampled`).
    public var sampled: Bool
}

/// What one pass over a range read: the query's lines, and the other sides asked for.
public struct ExplainRead: Sendable {
    public var matching: ExplainLines
    public var other: ExplainLines
    public var all: ExplainLines
    public var blocksRead: Int
    public var blocksInRange: Int
}
