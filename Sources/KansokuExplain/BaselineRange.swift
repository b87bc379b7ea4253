import Foundation
import KansokuCore

/// A baseline the user chose: any range, compared with the window as the previous window is.
public struct BaselineRange: Sendable, Equatable, Codable {
    public var start: Int64
    public var end: Int64

    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }

    /// Checks the range is usable: `end` after `start`, spanning at most `ExplainRequest.maxSpan`.
    public func validated() throws(ExplainError) -> BaselineRange {
        guard end > start else { throw .invalidArgument("the baseline's end must be after its start") }
        guard end - start <= ExplainRequest.maxSpan else { throw .invalidArgument("the baseline may span at most 31 days") }
        return self
    }

    /// Reads a range as typed: `START..END` (or two words), each end RFC3339, unix seconds,
    /// `now-3h`, `-3h` or `3h` (both meaning three hours ago): `-3h..-2h`,
    /// `2026-12-05T20:00:00Z..2026-12-05T21:00:00Z`.
    public static func parse(_ text: String, now: Int64) throws(ExplainError) -> BaselineRange {
        let t = text.trimmingCharacters(in: .whitespaces)
        let parts: [Substring]
        if let dots = t.range(of: "..") {
            parts = [t[..<dots.lowerBound], t[dots.upperBound...]]
        } else {
            parts = t.split(separator: " ", omittingEmptySubsequences: true)
        }
        guard parts.count == 2 else {
            throw .invalidArgument("expected START..END, e.g. -3h..-2h or 2026-12-05T20:00:00Z..2026-12-05T21:00:00Z, got \"\(text)\"")
        }
        return try BaselineRange(start: time(String(parts[0]), now: now), end: time(String(parts[1]), now: now)).validated()
    }

    /// One end: what `TimeParser` reads, plus `-3h` for three hours ago.
    public static func time(_ text: String, now: Int64) throws(ExplainError) -> Int64 {
        let t = text.trimmingCharacters(in: .whitespaces)
        let relative = t.hasPrefix("-") && t.dropFirst().first?.isNumber == true && PromDuration(t.dropFirst()) != nil
        do { return try TimeParser.parse(relative ? "now" + t : t, now: now) } catch {
            throw .invalidArgument("baseline: \(error)")
        }
    }
}
