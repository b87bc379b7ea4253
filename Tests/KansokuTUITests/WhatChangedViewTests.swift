import KansokuCore
@testable import KansokuExplain
@testable import KansokuTUI
import Testing

/// The drill-down's what-changed section and the followed request, drawn headlessly, and the
/// keys that narrow, widen and re-base it.
@Suite struct WhatChangedViewTests {
    static func report() -> ExplainReport {
        func change(_ name: String, _ value: String, _ w: Int, _ b: Int) -> ChangedValue {
            ChangedValue(dimension: .field, name: name, value: value, grouped: false, windowCount: w, windowShare: Double(w) / 40,
                         baselineCount: b, baselineShare: Double(b) / 100, score: Double(w) / 40 - Double(b) / 100,
                         filter: ExplainFilter(name: name, value: value).logQL)
        }
        let side = ExplainSide(kind: "previous", query: "{service=\"streaming\"}", start: "", end: "", lines: 100, sampled: false)
        return ExplainReport(query: "q", filters: [], window: side, baseline: side, note: nil, scoring: ExplainReport.scoringText,
                             changes: [change("upstream", "origin-3", 40, 2), change("status", "503", 28, 1)], patterns: [], skipped: [])
    }

    static func drill() -> DrillDown {
        var d = DrillDown(title: "streaming / playback-availability: logs over the burning window", query: "{service=\"streaming\"}",
                          start: ViewTests.now - 3_600_000_000_000, end: ViewTests.now)
        d.report = report()
        d.loading = false
        return d
    }

    @Test func changesAreDrawnAsPairedBars() {
        var m = ViewTests.model()
        m.mode = .drill(Self.drill())
        let lines = DashboardView.render(m, width: 100, height: 30).lines
        #expect(lines[3].hasPrefix("  WHAT CHANGED  vs previous (100 lines)"))
        #expect(lines[4].hasPrefix("  upstream=origin-3"))
        #expect(lines[4].contains(String(repeating: "█", count: 30) + " 100.0% (40)"))
        #expect(lines[5].contains("▊") && lines[5].hasSuffix("2.0% (2)"))
        #expect(lines[6].hasPrefix("  status=503") && lines[6].hasSuffix("70.0% (28)"))
        #expect(lines[29].contains("Enter filter to it"))
    }

    @Test func enterFiltersBackspaceWidensBCyclesTheBaseline() {
        var m = ViewTests.model()
        m.mode = .drill(Self.drill())
        #expect(DashboardUpdate.handle(.down, &m).isEmpty)
        var effects = DashboardUpdate.handle(.enter, &m)
        guard case .drill(let filtered) = m.mode, case .loadDrill(let asked) = effects.first else { Issue.record("no reload"); return }
        #expect(filtered.filters == [ExplainFilter(name: "status", value: "503")])
        #expect(asked.filteredQuery == #"{service="streaming"} | status="503""#)
        effects = DashboardUpdate.handle(.char("b"), &m)
        guard case .drill(let rebased) = m.mode else { Issue.record("left the drill-down"); return }
        #expect(rebased.baseline == .yesterday && effects.count == 1)
        _ = DashboardUpdate.handle(.backspace, &m)
        guard case .drill(let widened) = m.mode else { Issue.record("left the drill-down"); return }
        #expect(widened.filters.isEmpty && widened.baseline == .yesterday)
        // Tab moves to the patterns; Enter there opens lines instead of filtering.
        _ = DashboardUpdate.handle(.tab, &m)
        guard case .drill(let onPatterns) = m.mode else { return }
        #expect(onPatterns.section == .patterns)
    }

    /// `b` twice reaches "choose": a prompt in the footer; a range typed there is compared
    /// with, a range that cannot be read says why, Esc goes on to the previous window.
    @Test func bChoosesARangeTypedInAPrompt() {
        var m = ViewTests.model()
        m.mode = .drill(Self.drill())
        #expect(DashboardUpdate.handle(.char("b"), &m).count == 1)   // yesterday, reloaded
        #expect(DashboardUpdate.handle(.char("b"), &m).isEmpty)      // choose: nothing loads yet
        guard case .drill(let choosing) = m.mode else { Issue.record("left the drill-down"); return }
        #expect(choosing.choosingBaseline == "" && choosing.baseline == .yesterday)
        for c in "soon" { _ = DashboardUpdate.handle(.char(c), &m) }
        #expect(DashboardUpdate.handle(.enter, &m).isEmpty)
        var footer = DashboardView.render(m, width: 120, height: 30).lines[29]
        #expect(footer.hasPrefix("baseline> soon▏  expected START..END, e.g. -3h..-2h"), "\(footer)")
        _ = DashboardUpdate.handle(.ctrl("u"), &m)
        for c in "-3h..-2h" { _ = DashboardUpdate.handle(.char(c), &m) }
        footer = DashboardView.render(m, width: 120, height: 30).lines[29]
        #expect(footer.hasPrefix("baseline> -3h..-2h▏  START..END: RFC3339, unix or -3h..-2h"), "\(footer)")
        let effects = DashboardUpdate.handle(.enter, &m)
        guard case .loadDrill(let asked) = effects.first, case .drill(let chosen) = m.mode else { Issue.record("no reload"); return }
        let hour: Int64 = 3_600_000_000_000
        #expect(asked.baseline == .range && asked.baselineRange == BaselineRange(start: ViewTests.now - 3 * hour, end: ViewTests.now - 2 * hour))
        #expect(chosen.choosingBaseline == nil && m.status == "baseline: 21:00:00–22:00:00")
        // Round again (previous, yesterday, choose): the prompt opens on the range last chosen;
        // Esc goes on to the previous window.
        for _ in 0..<3 { _ = DashboardUpdate.handle(.char("b"), &m) }
        guard case .drill(let again) = m.mode else { return }
        #expect(again.choosingBaseline == "2026-11-21T21:00:00Z..2026-11-21T22:00:00Z")
        guard case .loadDrill(let back) = DashboardUpdate.handle(.escape, &m).first else { Issue.record("no reload"); return }
        #expect(back.baseline == .previous && back.choosingBaseline == nil)
    }

    @Test func fOnALineFollowsItsRequest() {
        var m = ViewTests.model()
        let line = LogLine(timestamp: ViewTests.now, labels: Labels(["app": "nginx"]), line: "GET /x 503 upstream=origin-3 request_id=5f0c2a9e1b7d4c83")
        var v = LogView(query: "{app=\"nginx\"}", start: 0, end: 1)
        v.lines = [line]
        v.loading = false
        m.mode = .logView(v)
        let effects = DashboardUpdate.handle(.char("f"), &m)
        guard case .follow(var f, let back) = m.mode, case .loadFollow = effects.first else { Issue.record("not following"); return }
        #expect(f.ids == ["5f0c2a9e1b7d4c83"] && back == .logView(v))
        f.loading = false
        f.timeline = RequestTimeline(ids: f.ids, start: "2026-11-22T00:00:00Z", end: "2026-11-22T00:10:00Z", streams: 3, entries: [
            TimelineEntry(time: "", offset: 0, service: "origin", level: "warn", labels: [:], line: "origin-3 GET /x queued"),
            TimelineEntry(time: "", offset: 2.41, service: "streaming-api", level: "error", labels: [:], line: "ERROR upstream=origin-3"),
            TimelineEntry(time: "", offset: 2.5, service: "nginx", level: "error", labels: [:], line: "GET /x 503"),
        ], truncated: false)
        m.mode = .follow(f, back: back)
        let lines = DashboardView.render(m, width: 100, height: 20).lines
        #expect(lines[1].hasPrefix(" request 5f0c2a9e1b7d4c83 across every stream"))
        #expect(lines[2].hasPrefix(" 3 lines in 3 services"))
        #expect(lines[4].hasPrefix(" origin ") && lines[4].contains(" +0.000s  warn   origin-3 GET /x queued"))
        #expect(lines[5].hasPrefix(" streaming-api ") && lines[5].contains(" +2.410s  error  ERROR upstream=origin-3"))
        #expect(lines[6].hasPrefix(" nginx ") && lines[6].contains(" +2.500s  error  GET /x 503"))
        _ = DashboardUpdate.handle(.escape, &m)
        #expect(m.mode == .logView(v))
    }
}
