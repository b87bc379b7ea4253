public import KansokuCore

/// A sample of a log query's lines over a range, read in one pass over blocks taken in an
/// order spread across the range (`SpreadOrder`), stopping once every side asked for has its
/// lines: a window far larger than the sample costs about what a plain query for as many lines
/// costs, not a read of the whole range.
public struct LogSample: Sendable {
    /// A line as one side keeps it.
    public struct Entry: Sendable, Equatable {
        public var timestamp: Int64
        public var labels: Labels
        public var line: [UInt8]

        public init(timestamp: Int64, labels: Labels, line: [UInt8]) {
            self.timestamp = timestamp
            self.labels = labels
            self.line = line
        }
    }

    /// At most `limit` lines of one side, spread evenly over what was read, stream by stream
    /// (label order) and oldest first within each.
    public struct Side: Sendable {
        public var entries: [Entry]
        /// More lines of this side were read than kept, or blocks were left unread.
        public var sampled: Bool
        /// Lines of this side the pass met, kept or not.
        public var read: Int

        public init(entries: [Entry] = [], sampled: Bool = false, read: Int = 0) {
            self.entries = entries
            self.sampled = sampled
            self.read = read
        }
    }

    /// Which sides a pass keeps besides the lines the query keeps.
    public struct Sides: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// The lines the query's pipeline drops, with their stream labels (and structured
        /// metadata) and the line as stored.
        public static let other = Sides(rawValue: 1)
        /// Every line of the selected streams, as the selector alone reads it.
        public static let all = Sides(rawValue: 2)
    }

    /// The lines the query keeps, as its pipeline leaves them.
    public var matching: Side
    /// When asked for with `.other`.
    public var other: Side
    /// When asked for with `.all`.
    public var all: Side
    /// Blocks decoded, and blocks the range holds (after the token filters, when only the
    /// query's lines are wanted).
    public var blocksRead: Int
    public var blocksInRange: Int
}

extension LogQLEngine {
    /// Up to `limit` lines of each side of log query `q` in `[start, end)`, read in one pass
    /// over blocks spread across the range (see `LogSample`).
    public func sampleRange(_ q: String, tenant: String, start: Int64, end: Int64, limit: Int,
                            sides: LogSample.Sides = []) async throws(LogQLError) -> LogSample {
        guard case .log(let sel) = try LogQLParser.parse(q) else { throw .execution("sampling needs a log query, not a metric query") }
        // A reader that fetches ahead (a querier) is asked for every block the selector's
        // lines may be in when other lines are kept, as the sample may read any of them.
        let planned = sides.isEmpty ? q : "{" + sel.matchers.map(\.description).joined(separator: ", ") + "}"
        let reader = try await self.reader.prepared(for: LogQueryPlan(query: planned, tenant: tenant, start: start, end: end,
                                                                      kind: .range(step: Self.defaultStep(start: start, end: end), interval: nil),
                                                                      direction: .backward, limit: limit))
        return try await LogSampleExec.run(sel, reader: reader, tenant: tenant, start: start, end: end, limit: max(1, limit), sides: sides)
    }
}
