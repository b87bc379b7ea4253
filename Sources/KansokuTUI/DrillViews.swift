import KansokuCore
import KansokuExplain

/// The drill-down screen (what changed, then the patterns or one pattern's lines) and the
/// followed request's timeline.
enum DrillViews {
    static let windowBar = CellStyle(fg: .red)
    static let baselineBar = CellStyle(dim: true)

    static func drill(_ d: DrillDown, _ b: inout ScreenBuffer, top: Int, bottom: Int) {
        b.put(d.title, x: 1, y: top, style: DashboardView.titleStyle)
        let x = b.put(d.filteredQuery + "  ", x: 1, y: top + 1, style: d.filters.isEmpty ? DashboardView.dimStyle : DashboardView.accent)
        b.put("\(DashboardView.clock(d.start))–\(DashboardView.clock(d.end))  \(d.lines.count) error lines, \(d.patterns.count) patterns",
              x: x, y: top + 1, style: DashboardView.dimStyle)
        if d.loading && d.report == nil && d.lines.isEmpty { b.put("loading…", x: 1, y: top + 3); return }
        if let e = d.error { b.put("error: \(e)", x: 1, y: top + 3, style: DashboardView.bad); return }
        if let open = d.openPattern, d.patterns.indices.contains(open) {
            patternLines(d, d.patterns[open], &b, top: top + 2, bottom: bottom)
            return
        }
        var y = top + 2
        if d.report != nil || d.reportError != nil {
            y = changes(d, &b, top: y, rows: max(2, min(6, (bottom - top - 8) / 2)))
        }
        patterns(d, &b, top: y, bottom: bottom)
    }

    /// WHAT CHANGED: each value as a pair of bars, its share of the window's lines over its
    /// share of the baseline's. Returns the first free row.
    static func changes(_ d: DrillDown, _ b: inout ScreenBuffer, top: Int, rows: Int) -> Int {
        let focused = d.section == .changes
        var x = b.put(" WHAT CHANGED ", x: 1, y: top, style: focused ? DashboardView.focusTitle : DashboardView.titleStyle)
        guard let r = d.report else {
            b.put(" error: \(d.reportError ?? "")", x: x, y: top, style: DashboardView.bad)
            return top + 2
        }
        let sampled = r.window.sampled || r.baseline.sampled ? ", sampled" : ""
        let kind = r.baseline.kind == BaselineChoice.range.rawValue
            ? d.baselineRange.map { "\(DashboardView.clock($0.start))–\(DashboardView.clock($0.end))" } ?? r.baseline.kind : r.baseline.kind
        x = b.put(" vs \(kind) (\(r.baseline.lines) lines\(sampled))  ", x: x, y: top, style: DashboardView.dimStyle)
        x = b.put("█ window ", x: x, y: top, style: windowBar)
        b.put("█ baseline", x: x, y: top, style: baselineBar)
        var y = top + 1
        if let note = r.note { b.put(note, x: 3, y: y, style: DashboardView.warn); y += 1 }
        if r.changes.isEmpty {
            b.put("no value is more common in these lines than in the baseline", x: 3, y: y, style: DashboardView.dimStyle)
            return y + 2
        }
        let first = max(0, d.changeSelected - rows + 1)
        let nameWidth = min(44, max(20, b.width / 3))
        let barWidth = max(10, min(40, b.width - nameWidth - 30))
        for (k, c) in r.changes.dropFirst(first).prefix(rows).enumerated() {
            let selected = focused && first + k == d.changeSelected
            let style = selected ? CellStyle(reverse: true) : CellStyle(bold: true)
            if selected { b.fill(x: 0, y: y, width: b.width, height: 1, style: style) }
            let label = "\(c.name)=\(c.value)"
            var cx = b.put(" " + (label.count > nameWidth ? String(label.prefix(nameWidth - 1)) + "…" : label.rightPad(nameWidth)) + " ",
                           x: 1, y: y, style: style)
            cx = b.put(ExplainTable.bar(c.windowShare, barWidth), x: cx, y: y, style: selected ? style : windowBar)
            b.put(" " + PanelViews.pct(c.windowShare, 1).leftPad(6) + " (\(c.windowCount))", x: cx, y: y, style: style)
            let bx = nameWidth + 4
            let ex = b.put(ExplainTable.bar(c.baselineShare, barWidth), x: bx, y: y + 1, style: baselineBar)
            b.put(" " + PanelViews.pct(c.baselineShare, 1).leftPad(6) + " (\(c.baselineCount))", x: ex, y: y + 1, style: DashboardView.dimStyle)
            y += 2
        }
        return y + 1
    }

    static func patterns(_ d: DrillDown, _ b: inout ScreenBuffer, top: Int, bottom: Int) {
        let focused = d.section == .patterns && d.report != nil
        b.put("COUNT  NEW  TREND" + String(repeating: " ", count: 16) + "FIRST SEEN  PATTERN", x: 1, y: top,
              style: focused ? CellStyle(bold: true, reverse: true) : CellStyle(bold: true))
        let visible = bottom - top - 1
        guard visible > 0 else { return }
        let first = max(0, d.selected - visible + 1)
        for (k, p) in d.patterns.dropFirst(first).prefix(visible).enumerated() {
            let row = top + 1 + k
            let selected = first + k == d.selected && (d.section == .patterns || d.report == nil)
            let style = selected ? CellStyle(reverse: true) : .plain
            if selected { b.fill(x: 0, y: row, width: b.width, height: 1, style: style) }
            var x = b.put(String(p.count).leftPad(5) + "  ", x: 1, y: row, style: style)
            x = b.put(p.isNew ? "NEW  " : "     ", x: x, y: row, style: selected ? style : DashboardView.bad)
            x = b.put(LogPatterns.sparkline(p.timestamps, start: d.start, end: d.end, width: 20) + "   ", x: x, y: row,
                      style: selected ? style : DashboardView.warn)
            x = b.put(DashboardView.clock(p.firstSeen) + "    ", x: x, y: row, style: selected ? style : DashboardView.dimStyle)
            b.put(p.text, x: x, y: row, style: style)
        }
    }

    static func patternLines(_ d: DrillDown, _ p: LogPatterns.Pattern, _ b: inout ScreenBuffer, top: Int, bottom: Int) {
        b.put("pattern: \(p.text)", x: 1, y: top, style: DashboardView.accent)
        for (k, idx) in p.lines.dropFirst(d.scroll).prefix(bottom - top - 1).enumerated() {
            let l = d.lines[idx]
            let y = top + 1 + k
            let style = k == 0 ? CellStyle(reverse: true) : PanelViews.lineStyle(l.line)
            if k == 0 { b.fill(x: 0, y: y, width: b.width, height: 1, style: style) }
            let x = b.put(DashboardView.clock(l.timestamp) + " ", x: 1, y: y, style: k == 0 ? style : DashboardView.dimStyle)
            b.put(l.line, x: x, y: y, style: style)
        }
    }

    /// The request's lines across services: service, time after the first line, level, line.
    static func follow(_ v: FollowView, wrap: Bool, _ b: inout ScreenBuffer, top: Int, bottom: Int) {
        b.put("request \(v.ids.joined(separator: ", ")) across every stream", x: 1, y: top, style: DashboardView.titleStyle)
        if v.loading { b.put("following…", x: 1, y: top + 2); return }
        if let e = v.error { b.put("error: \(e)", x: 1, y: top + 2, style: DashboardView.bad); return }
        guard let t = v.timeline else { return }
        let services = Set(t.entries.map(\.service))
        b.put("\(t.entries.count) lines in \(services.count) services\(t.truncated ? " (first lines only)" : ""), \(t.start.prefix(19))–\(t.end.prefix(19))",
              x: 1, y: top + 1, style: DashboardView.dimStyle)
        b.put("SERVICE         OFFSET    LEVEL  LINE", x: 1, y: top + 2, style: CellStyle(bold: true))
        let visible = bottom - top - 3
        let first = max(0, v.selected - visible + 1)
        for (k, e) in t.entries.dropFirst(first).prefix(visible).enumerated() {
            let y = top + 3 + k
            let selected = first + k == v.selected
            let base = selected ? CellStyle(reverse: true) : CellStyle.plain
            if selected { b.fill(x: 0, y: y, width: b.width, height: 1, style: base) }
            var x = b.put(e.service.rightPad(15) + " ", x: 1, y: y, style: selected ? base : CellStyle(fg: .blue))
            x = b.put(String(format: "+%.3fs", e.offset).leftPad(8) + "  ", x: x, y: y, style: selected ? base : DashboardView.warn)
            let levelStyle = e.level == "error" ? DashboardView.bad : e.level.hasPrefix("warn") ? DashboardView.warn : DashboardView.dimStyle
            x = b.put(e.level.rightPad(5) + "  ", x: x, y: y, style: selected ? base : levelStyle)
            b.put(e.line, x: x, y: y, style: base)
        }
    }
}
