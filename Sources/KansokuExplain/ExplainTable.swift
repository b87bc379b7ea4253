import Foundation

/// The report as text for a terminal or a chat message: the changed values as paired bars
/// (window above, baseline below), then the patterns with their trend and first sighting.
public enum ExplainTable {
    public static func render(_ r: ExplainReport, color: Bool, barWidth: Int = 20) -> String {
        func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
        var out = "what changed in \(r.query)" + r.filters.map { " " + $0.logQL }.joined() + "\n"
        out += "  window   \(r.window.start) – \(r.window.end): \(r.window.lines) lines\(r.window.sampled ? " (sampled)" : "")\n"
        out += "  baseline \(r.baseline.kind) \(r.baseline.start) – \(r.baseline.end): \(r.baseline.lines) lines\(r.baseline.sampled ? " (sampled)" : "")\n"
        if let note = r.note { out += "  " + paint("note: \(note)", "33") + "\n" }
        out += "  " + paint(r.scoring, "2") + "\n\n"
        if r.changes.isEmpty { out += "no value is more common in the window than in the baseline\n" }
        let nameWidth = min(48, r.changes.map { $0.name.count + $0.value.count + 1 }.max() ?? 10)
        if !r.changes.isEmpty {
            out += "VALUE".padding(toLength: nameWidth, withPad: " ", startingAt: 0) + "  SCORE  SHARE (window / baseline)\n"
        }
        for c in r.changes {
            let label = "\(c.name)=\(c.value)"
            let shown = label.count > nameWidth ? String(label.prefix(nameWidth - 1)) + "…" : label.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            out += paint(shown, "1") + "  " + String(format: "%5.2f", c.score) + "  "
                + paint(bar(c.windowShare, barWidth), "31") + " " + percent(c.windowShare) + " (\(c.windowCount))\n"
            out += String(repeating: " ", count: nameWidth + 9)
                + paint(bar(c.baselineShare, barWidth), "2") + " " + percent(c.baselineShare) + " (\(c.baselineCount))\n"
        }
        if !r.patterns.isEmpty {
            out += "\nCOUNT  NEW  FIRST SEEN            TREND" + String(repeating: " ", count: max(0, (r.patterns.first?.trend.count ?? 20) - 3)) + "PATTERN\n"
            for p in r.patterns {
                out += String(p.count).leftPadded(5) + "  " + (p.new ? paint("NEW", "31;1") : "   ") + "  "
                    + String(p.firstSeen.prefix(19)).padding(toLength: 20, withPad: " ", startingAt: 0) + "  "
                    + paint(p.sparkline, "33") + "  " + p.pattern + "\n"
            }
        }
        if !r.skipped.isEmpty {
            out += "\n" + paint("left out: " + r.skipped.map { "\($0.name) (\($0.reason))" }.joined(separator: ", "), "2") + "\n"
        }
        return out
    }

    /// A share as a bar of `width` cells, eighths for the last one.
    public static func bar(_ share: Double, _ width: Int) -> String {
        let eighths = Int((max(0, min(1, share)) * Double(width * 8)).rounded())
        let partial = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
        let s = String(repeating: "█", count: eighths / 8) + partial[eighths % 8]
        return s + String(repeating: " ", count: max(0, width - s.count))
    }

    static func percent(_ v: Double) -> String { String(format: "%5.1f%%", v * 100) }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
}
