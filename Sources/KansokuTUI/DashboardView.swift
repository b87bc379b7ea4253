import Foundation
import KansokuCore
import KansokuExplain

/// Draws the model into a cell buffer: header, panels stacked top to bottom, a key bar.
public enum DashboardView {
    public static let minWidth = 40, minHeight = 10

    static let accent = CellStyle(fg: .cyan, bold: true)
    static let dimStyle = CellStyle(dim: true)
    static let focusTitle = CellStyle(fg: .cyan, bold: true, reverse: true)
    static let titleStyle = CellStyle(fg: .cyan, bold: true)
    static let bad = CellStyle(fg: .red, bold: true)
    static let warn = CellStyle(fg: .yellow)
    static let good = CellStyle(fg: .green)

    public static func render(_ m: DashboardModel, width: Int, height: Int) -> ScreenBuffer {
        var b = ScreenBuffer(width: width, height: height)
        guard width >= minWidth, height >= minHeight else {
            b.put("terminal too small: \(width)x\(height)", x: 0, y: 0, style: bad)
            if height > 1 { b.put("need at least \(minWidth)x\(minHeight)", x: 0, y: 1) }
            return b
        }
        header(m, &b)
        switch m.mode {
        case .drill(let d): DrillViews.drill(d, &b, top: 1, bottom: height - 1)
        case .follow(let v, _): DrillViews.follow(v, wrap: m.wrap, &b, top: 1, bottom: height - 1)
        case .logView(let v): logView(v, m, &b, top: 1, bottom: height - 1)
        case .help: help(&b)
        default: panels(m, &b)
        }
        footer(m, &b)
        return b
    }

    static func header(_ m: DashboardModel, _ b: inout ScreenBuffer) {
        b.fill(x: 0, y: 0, width: b.width, height: 1, style: CellStyle(reverse: true))
        var x = b.put(" 観測 \(m.resolved(m.spec.title)) ", x: 0, y: 0, style: CellStyle(bold: true, reverse: true))
        for v in m.spec.variables ?? [] {
            x = b.put(" $\(v.name)=\(m.variables[v.name] ?? "…") ", x: x, y: 0, style: CellStyle(fg: .cyan, bold: true, reverse: true))
        }
        x = b.put(" range \(PromDuration(milliseconds: m.rangeNanos / 1_000_000)) ", x: x, y: 0, style: CellStyle(reverse: true))
        if let at = m.endTime { x = b.put(" until \(clock(at)) ", x: x, y: 0, style: CellStyle(fg: .yellow, reverse: true)) }
        x = b.put(m.tail ? " ● live " : " ‖ paused ", x: x, y: 0, style: CellStyle(fg: m.tail ? .green : .yellow, reverse: true))
        let right = " \(m.address) \(clock(m.lastUpdate)) "
        b.put(right, x: max(x, b.width - CharWidth.of(right)), y: 0, style: CellStyle(reverse: true))
    }

    static func footer(_ m: DashboardModel, _ b: inout ScreenBuffer) {
        let y = b.height - 1
        let hint: String
        switch m.mode {
        case .editing(_, let text):
            b.put("LogQL> ", x: 0, y: y, style: accent)
            b.put(text + "▏", x: 7, y: y)
            return
        case .jumping(let text):
            let x = b.put("jump to> ", x: 0, y: y, style: accent)
            let after = b.put(text + "▏", x: x, y: y)
            b.put("  RFC3339, unix, now-2h or 2h; empty: now", x: after, y: y, style: dimStyle)
            return
        case .logView:
            hint = "↑↓ scroll  f follow request  w wrap  r reload  Esc back  q quit"
        case .drill(let d):
            if let text = d.choosingBaseline {
                let x = b.put("baseline> ", x: 0, y: y, style: accent)
                let after = b.put(text + "▏", x: x, y: y)
                // A range that could not be read says why where the hint was.
                b.put("  " + (m.status ?? "START..END: RFC3339, unix or -3h..-2h; Enter compare, Esc previous window"), x: after, y: y,
                      style: m.status == nil ? dimStyle : warn)
                return
            }
            if d.openPattern != nil {
                hint = "↑↓ line  f follow its request  Esc patterns  q quit"
            } else if d.section == .changes {
                hint = "↑↓ value  Enter filter to it  ⌫ drop filter  b baseline  Tab patterns  Esc back  q quit"
            } else {
                hint = "↑↓ pattern  Enter lines  ⌫ drop filter  b baseline  Tab changes  Esc back  q quit"
            }
        case .follow:
            hint = "↑↓ select  w wrap  r reload  Esc back  q quit"
        case .help: hint = "any key: back"
        case .dashboard:
            hint = "? help  Tab focus  ↑↓ select  Enter drill-down  / query  t tail  [ ] range  g time"
                + (m.spec.variables?.isEmpty == false ? "  v $\(m.spec.variables![0].name)" : "") + "  r refresh  q quit"
        }
        b.put(m.status.map { "\($0) · " } ?? "", x: 0, y: y, style: warn)
        b.put(hint, x: m.status.map { CharWidth.of($0) + 3 } ?? 0, y: y, style: dimStyle)
    }

    static func panels(_ m: DashboardModel, _ b: inout ScreenBuffer) {
        let top = 1, bottom = b.height - 1
        let specs = m.spec.panels
        guard !specs.isEmpty else { return }
        let fixed = specs.compactMap(\.height).reduce(0, +)
        let flexible = specs.filter { $0.height == nil }.count
        let available = bottom - top
        // Fixed heights shrink so that panels without one still get a few rows.
        let flexibleMinimum = flexible * 4
        let scale = fixed + flexibleMinimum > available && fixed > 0
            ? max(0, Double(available - flexibleMinimum)) / Double(fixed) : 1
        var y = top
        for (i, p) in specs.enumerated() {
            var h = p.height.map { max(2, Int(Double($0) * scale)) }
                ?? max(2, (available - Int(Double(fixed) * scale)) / max(1, flexible))
            if i == specs.count - 1 { h = bottom - y }
            h = min(h, bottom - y)
            guard h >= 2 else { break }
            panel(i, p, m, &b, y: y, height: h)
            y += h
        }
    }

    static func panel(_ i: Int, _ p: DashboardSpec.Panel, _ m: DashboardModel, _ b: inout ScreenBuffer, y: Int, height h: Int) {
        let focused = m.focus == i
        let title = " \(m.resolved(p.title ?? p.type.rawValue)) "
        b.put("─", x: 0, y: y, style: focused ? titleStyle : dimStyle)
        var tx = b.put(title, x: 1, y: y, style: focused ? focusTitle : titleStyle)
        if p.type == .logs {
            // The query the lines answer, so an edit and its error read together.
            tx = b.put("─ ", x: tx, y: y, style: focused ? titleStyle : dimStyle)
            tx = b.put(m.resolvedQuery(i) + " ", x: tx, y: y, style: focused ? CellStyle(fg: .cyan) : dimStyle)
        }
        b.put(String(repeating: "─", count: max(0, b.width - tx)), x: tx, y: y, style: focused ? titleStyle : dimStyle)
        var area = (x: 0, y: y + 1, w: b.width, h: h - 1)
        if let err = m.errors[i] {
            b.put("error: \(err)", x: 1, y: y + 1, style: bad)
            // A logs panel keeps the lines of its last good query below the error.
            guard p.type == .logs, m.logs[i] != nil, h > 2 else { return }
            area = (x: 0, y: y + 2, w: b.width, h: h - 2)
        }
        switch p.type {
        case .sloTable: PanelViews.sloTable(m.slos, selected: focused ? m.selected(i) : nil, &b, area)
        case .alerts: PanelViews.alerts(m.alerts, selected: focused ? m.selected(i) : nil, &b, area)
        case .timeseries: PanelViews.chart(m.series[i] ?? [], unit: p.unit, &b, area)
        case .stat: PanelViews.stat(m.series[i] ?? [], unit: p.unit, &b, area)
        case .logs: PanelViews.logs(m.logs[i] ?? [], query: m.resolvedQuery(i), selected: focused ? m.selected(i) : nil, wrap: m.wrap, &b, area)
        case .labels: PanelViews.labels(m.labelBrowsers[i] ?? LabelBrowser(), selected: focused ? m.selected(i) : nil, &b, area)
        }
    }

    static func logView(_ v: LogView, _ m: DashboardModel, _ b: inout ScreenBuffer, top: Int, bottom: Int) {
        b.put(v.query, x: 1, y: top, style: titleStyle)
        let count = v.loading ? "loading…" : "\(v.lines.count) lines"
        b.put("\(clock(v.start))–\(clock(v.end))  \(count)", x: 1, y: top + 1, style: dimStyle)
        if let e = v.error { b.put("error: \(e)", x: 1, y: top + 2, style: bad); return }
        guard !v.loading else { return }
        PanelViews.logs(v.lines, query: v.query, selected: v.selected, wrap: m.wrap, &b, (x: 0, y: top + 2, w: b.width, h: bottom - top - 2))
    }

    static func help(_ b: inout ScreenBuffer) {
        let lines = [
            "Keys", "",
            "  Tab / Shift-Tab   move focus between panels",
            "  ↑ ↓  j k  wheel   select a row",
            "  Enter             drill down: a burning SLO or firing alert → what changed, its log patterns",
            "  in a drill-down   Enter on a value filters to it, ⌫ drops the last filter,",
            "                    b steps the baseline (previous / yesterday / choose a range), Tab patterns",
            "  f                 on a log line: follow its request id across every stream",
            "  Esc               back",
            "  Enter on labels   a name lists its values; a value opens {name=\"value\"} logs",
            "  /                 edit the focused panel's query (Enter runs it)",
            "  v  V              next / previous value of the dashboard variable",
            "  g                 jump to a time (RFC3339, unix, now-2h, 2h; empty: now)",
            "  t                 pause or resume live tail",
            "  w                 wrap long log lines",
            "  [  ]              shorter / longer time range",
            "  r                 refresh now",
            "  q  Ctrl-C         quit",
        ]
        for (i, l) in lines.enumerated() { b.put(l, x: 2, y: 2 + i, style: i == 0 ? accent : .plain) }
    }

    static func clock(_ ns: Int64?) -> String {
        guard let ns else { return "--:--:--" }
        let s = TimeFormatter.rfc3339Nano(ns / 1_000_000_000 * 1_000_000_000)
        return String(s.dropFirst(11).prefix(8))
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }
    func rightPad(_ n: Int) -> String { count >= n ? String(prefix(n)) : self + String(repeating: " ", count: n - count) }
}
