public import KansokuCore

/// A query result as the CLI prints it, whether it came from a server's JSON or from a data
/// directory read in-process.
public enum QueryResultModel: Sendable {
    public struct Line: Sendable {
        public var timestamp: Int64
        public var line: String
        public init(timestamp: Int64, line: String) { self.timestamp = timestamp; self.line = line }
    }
    public struct Stream: Sendable {
        public var labels: Labels
        public var lines: [Line]
        public init(labels: Labels, lines: [Line]) { self.labels = labels; self.lines = lines }
    }
    public struct Point: Sendable {
        public var timestampMillis: Int64
        public var value: Double
        public init(timestampMillis: Int64, value: Double) { self.timestampMillis = timestampMillis; self.value = value }
    }
    public struct Series: Sendable {
        public var labels: Labels
        public var points: [Point]
        public init(labels: Labels, points: [Point]) { self.labels = labels; self.points = points }
    }

    case streams([Stream])
    case vector([Series])          // one point each
    case matrix([Series])
    case scalar(Point)
    case string(Int64, String)
}
