public import KansokuExplain

extension LogPatterns {
    /// Patterns of the dashboard's lines, most frequent first; a pattern no `baseline` line fits is new.
    public static func cluster(_ lines: [LogLine], baseline: [LogLine] = []) -> [Pattern] {
        cluster(lines.map { (line: $0.line, timestamp: $0.timestamp) }, baseline: baseline.map(\.line))
    }
}
