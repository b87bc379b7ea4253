import Foundation
import KansokuCore
import KansokuExplain

/// What the run loop must do after an update.
public enum Effect: Sendable, Equatable {
    case refresh
    case loadDrill(DrillDown)
    case loadLogView(LogView)
    case loadFollow(FollowView)
    case quit
}

/// The update function: a key changes the model and may ask for effects.
public enum DashboardUpdate {
    /// Time ranges `[` and `]` step through: 5m, 15m, 1h, 6h, 1d, 7d.
    static let ranges: [Int64] = [
        300_000_000_000, 900_000_000_000, 3_600_000_000_000, 21_600_000_000_000, 86_400_000_000_000, 604_800_000_000_000,
    ]

    public static func handle(_ key: Key, _ m: inout DashboardModel) -> [Effect] {
        switch m.mode {
        case .help:
            m.mode = .dashboard
            return key == .char("q") ? [.quit] : []
        case .editing(let panel, var text):
            switch key {
            case .escape: m.mode = .dashboard
            case .enter:
                m.queries[panel] = text
                m.mode = .dashboard
                return [.refresh]
            case .backspace: if !text.isEmpty { text.removeLast() }; m.mode = .editing(panel: panel, text: text)
            case .char(let c): text.append(c); m.mode = .editing(panel: panel, text: text)
            case .ctrl("u"): m.mode = .editing(panel: panel, text: "")
            case .ctrl("c"): return [.quit]
            default: break
            }
            return []
        case .drill(let d):
            return handleDrill(key, d, &m)
        case .follow(var v, let back):
            switch key {
            case .char("q"), .ctrl("c"): return [.quit]
            case .escape: m.mode = back
            case .up, .char("k"), .wheelUp: v.selected = max(0, v.selected - 1); m.mode = .follow(v, back: back)
            case .down, .char("j"), .wheelDown:
                v.selected = min(max(0, (v.timeline?.entries.count ?? 0) - 1), v.selected + 1); m.mode = .follow(v, back: back)
            case .char("w"): m.wrap.toggle()
            case .char("r"): v.loading = true; m.mode = .follow(v, back: back); return [.loadFollow(v)]
            default: break
            }
            return []
        case .jumping(var text):
            switch key {
            case .escape: m.mode = .dashboard
            case .enter: return jump(to: text, &m)
            case .backspace: if !text.isEmpty { text.removeLast() }; m.mode = .jumping(text: text)
            case .char(let c): text.append(c); m.mode = .jumping(text: text)
            case .ctrl("u"): m.mode = .jumping(text: "")
            case .ctrl("c"): return [.quit]
            default: break
            }
            return []
        case .logView(var v):
            switch key {
            case .char("q"), .ctrl("c"): return [.quit]
            case .escape: m.mode = .dashboard
            case .up, .char("k"), .wheelUp: v.selected = max(0, v.selected - 1); m.mode = .logView(v)
            case .down, .char("j"), .wheelDown: v.selected = min(max(0, v.lines.count - 1), v.selected + 1); m.mode = .logView(v)
            case .pageUp: v.selected = max(0, v.selected - 10); m.mode = .logView(v)
            case .pageDown: v.selected = max(0, min(v.lines.count - 1, v.selected + 10)); m.mode = .logView(v)
            case .char("w"): m.wrap.toggle()
            case .char("r"): v.loading = true; m.mode = .logView(v); return [.loadLogView(v)]
            case .char("f"): if v.lines.indices.contains(v.selected) { return follow(v.lines[v.selected], &m) }
            default: break
            }
            return []
        case .dashboard:
            break
        }
        let panels = m.spec.panels
        switch key {
        case .char("q"), .ctrl("c"): return [.quit]
        case .char("?"): m.mode = .help
        case .tab: m.focus = (m.focus + 1) % max(1, panels.count)
        case .backtab: m.focus = (m.focus + max(1, panels.count) - 1) % max(1, panels.count)
        case .up, .char("k"), .wheelUp: m.selection[m.focus] = max(0, m.selected(m.focus) - 1)
        case .down, .char("j"), .wheelDown: m.selection[m.focus] = min(rowCount(m, m.focus) - 1, m.selected(m.focus) + 1)
        case .pageUp: m.selection[m.focus] = max(0, m.selected(m.focus) - 10)
        case .pageDown: m.selection[m.focus] = max(0, min(rowCount(m, m.focus) - 1, m.selected(m.focus) + 10))
        case .char("r"): return [.refresh]
        case .char("t"): m.tail.toggle(); m.status = m.tail ? "live tail on" : "live tail paused"
        case .char("w"): m.wrap.toggle()
        case .char("v"): return cycleVariable(&m, by: 1)
        case .char("V"): return cycleVariable(&m, by: -1)
        case .char("g"): m.mode = .jumping(text: "")
        case .char("f"):
            if panels.indices.contains(m.focus), panels[m.focus].type == .logs, let lines = m.logs[m.focus],
               lines.indices.contains(m.selected(m.focus)) {
                return follow(lines[m.selected(m.focus)], &m)
            }
        case .escape:
            if var lb = m.labelBrowsers[m.focus], lb.openName != nil {
                lb.openName = nil
                lb.values = []
                m.selection[m.focus] = lb.nameSelection
                m.labelBrowsers[m.focus] = lb
            }
        case .char("["):
            if let i = ranges.firstIndex(where: { $0 >= m.rangeNanos }), i > 0 { m.rangeNanos = ranges[i - 1] }
            return [.refresh]
        case .char("]"):
            if let i = ranges.firstIndex(where: { $0 > m.rangeNanos }) { m.rangeNanos = ranges[i] }
            return [.refresh]
        case .char("/"):
            if panels.indices.contains(m.focus), panels[m.focus].type == .logs || panels[m.focus].type == .timeseries {
                m.mode = .editing(panel: m.focus, text: m.queries[m.focus] ?? "")
            }
        case .enter:
            if panels.indices.contains(m.focus), panels[m.focus].type == .labels { return openLabelRow(&m) }
            if let d = drill(for: m) { m.mode = .drill(d); return [.loadDrill(d)] }
        default: break
        }
        return []
    }

    /// The drill-down's keys: the arrows move in the focused section (Tab switches); Enter on a
    /// change narrows to its value, on a pattern opens its lines; Backspace drops the last value;
    /// `b` steps the baseline; `f` on an open pattern follows its first shown line's request.
    static func handleDrill(_ key: Key, _ d: DrillDown, _ m: inout DashboardModel) -> [Effect] {
        var d = d
        if let text = d.choosingBaseline { return chooseBaseline(key, text, d, &m) }
        if let open = d.openPattern {
            let count = d.patterns.indices.contains(open) ? d.patterns[open].lines.count : 0
            switch key {
            case .char("q"), .ctrl("c"): return [.quit]
            case .escape: d.openPattern = nil; d.scroll = 0
            case .up, .char("k"), .wheelUp: d.scroll = max(0, d.scroll - 1)
            case .down, .char("j"), .wheelDown: d.scroll = min(max(0, count - 1), d.scroll + 1)
            case .char("f"):
                guard d.patterns.indices.contains(open), d.patterns[open].lines.indices.contains(d.scroll) else { return [] }
                return follow(d.lines[d.patterns[open].lines[d.scroll]], &m)
            default: return []
            }
            m.mode = .drill(d)
            return []
        }
        let changes = d.report?.changes ?? []
        switch key {
        case .char("q"), .ctrl("c"): return [.quit]
        case .escape: m.mode = .dashboard; return []
        case .tab, .backtab: d.section = d.section == .changes ? .patterns : .changes
        case .up, .char("k"), .wheelUp:
            if d.section == .changes { d.changeSelected = max(0, d.changeSelected - 1) } else { d.selected = max(0, d.selected - 1) }
        case .down, .char("j"), .wheelDown:
            if d.section == .changes {
                d.changeSelected = min(max(0, changes.count - 1), d.changeSelected + 1)
            } else {
                d.selected = min(max(0, d.patterns.count - 1), d.selected + 1)
            }
        case .enter:
            if d.section == .patterns {
                if !d.patterns.isEmpty { d.openPattern = d.selected; d.scroll = 0 }
            } else if changes.indices.contains(d.changeSelected) {
                let c = changes[d.changeSelected]
                d.filters.append(ExplainFilter(name: c.name, value: c.value))
                return reload(d, &m)
            }
        case .backspace:
            guard !d.filters.isEmpty else { return [] }
            d.filters.removeLast()
            return reload(d, &m)
        case .char("b"):
            if d.baseline.next == .range {
                // Choosing: the prompt starts from the range last chosen, if any.
                d.choosingBaseline = d.baselineRange.map { "\(TimeFormatter.rfc3339Nano($0.start))..\(TimeFormatter.rfc3339Nano($0.end))" } ?? ""
                m.status = nil
                m.mode = .drill(d)
                return []
            }
            d.baseline = d.baseline.next
            m.status = "baseline: \(d.baseline.rawValue)"
            return reload(d, &m)
        case .char("r"): return reload(d, &m)
        default: return []
        }
        m.mode = .drill(d)
        return []
    }

    /// The baseline prompt: a range typed as `START..END` (RFC3339, unix, `-3h..-2h`); Enter
    /// compares with it, Esc goes on to the previous window as `b` would.
    static func chooseBaseline(_ key: Key, _ text: String, _ d: DrillDown, _ m: inout DashboardModel) -> [Effect] {
        var d = d, text = text
        switch key {
        case .ctrl("c"): return [.quit]
        case .escape:
            d.choosingBaseline = nil
            d.baseline = .previous
            m.status = "baseline: previous"
            return reload(d, &m)
        case .enter:
            do {
                d.baselineRange = try BaselineRange.parse(text, now: m.now)
            } catch {
                m.status = error.description
                return []
            }
            d.choosingBaseline = nil
            d.baseline = .range
            m.status = "baseline: \(DashboardView.clock(d.baselineRange!.start))–\(DashboardView.clock(d.baselineRange!.end))"
            return reload(d, &m)
        case .backspace: if !text.isEmpty { text.removeLast() }
        case .char(let c): text.append(c)
        case .ctrl("u"): text = ""
        default: return []
        }
        m.status = nil
        d.choosingBaseline = text
        m.mode = .drill(d)
        return []
    }

    static func reload(_ d: DrillDown, _ m: inout DashboardModel) -> [Effect] {
        var d = d
        d.loading = true
        d.changeSelected = 0
        d.selected = 0
        m.mode = .drill(d)
        return [.loadDrill(d)]
    }

    /// `f` on a line: follows the request or trace id it carries across every stream.
    static func follow(_ line: LogLine, _ m: inout DashboardModel) -> [Effect] {
        let ids = RequestIDs.extract(line: line.line, labels: line.labels)
        guard !ids.isEmpty else { m.status = "no request or trace id in this line"; return [] }
        let v = FollowView(ids: ids, time: line.timestamp)
        m.mode = .follow(v, back: m.mode)
        return [.loadFollow(v)]
    }

    /// Steps the first variable to its next (or previous) value; queries reload with it.
    static func cycleVariable(_ m: inout DashboardModel, by step: Int) -> [Effect] {
        guard let v = m.spec.variables?.first else { m.status = "this dashboard has no variables"; return [] }
        let options = m.variableOptions[v.name] ?? []
        guard !options.isEmpty else { m.status = "no values of \(v.label) yet"; return [] }
        let current = m.variables[v.name].flatMap { options.firstIndex(of: $0) } ?? -step
        let next = options[((current + step) % options.count + options.count) % options.count]
        m.variables[v.name] = next
        m.status = "$\(v.name) = \(next)"
        for (i, p) in m.spec.panels.enumerated() where p.type == .logs { m.selection[i] = 0 }
        return [.refresh]
    }

    /// `g` then Enter: pins the end of the range to the typed time (empty or `now` follows now again).
    static func jump(to text: String, _ m: inout DashboardModel) -> [Effect] {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty || t == "now" {
            m.endTime = nil
            m.tail = true
            m.status = "following now"
            m.mode = .dashboard
            return [.refresh]
        }
        do {
            // A bare duration (`2h`) means that long ago, as in `now-2h`.
            let at = try TimeParser.parse(t, now: m.now)
            m.endTime = at
            m.tail = false
            m.status = "at \(TimeFormatter.rfc3339Nano(at / 1_000_000_000 * 1_000_000_000))"
            m.mode = .dashboard
            return [.refresh]
        } catch {
            m.status = "cannot read time \"\(t)\": \(error)"
            return []
        }
    }

    /// Enter on the labels panel: a name lists its values; a value opens `{name="value"}`'s lines.
    static func openLabelRow(_ m: inout DashboardModel) -> [Effect] {
        var lb = m.labelBrowsers[m.focus] ?? LabelBrowser()
        let row = m.selected(m.focus)
        guard lb.rows.indices.contains(row) else { return [] }
        if lb.openName == nil {
            lb.openName = lb.names[row]
            lb.nameSelection = row
            lb.values = []
            m.labelBrowsers[m.focus] = lb
            m.selection[m.focus] = 0
            return [.refresh]
        }
        let v = LogView(query: selector(lb.openName!, lb.values[row]), start: m.rangeEnd - m.rangeNanos, end: m.rangeEnd + 1)
        m.mode = .logView(v)
        return [.loadLogView(v)]
    }

    /// `{name="value"}` with the value escaped as a LogQL string.
    static func selector(_ name: String, _ value: String) -> String {
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "{\(name)=\"\(escaped)\"}"
    }

    static func rowCount(_ m: DashboardModel, _ panel: Int) -> Int {
        guard m.spec.panels.indices.contains(panel) else { return 1 }
        switch m.spec.panels[panel].type {
        case .sloTable: return max(1, m.slos.count)
        case .alerts: return max(1, m.alerts.count)
        case .logs: return max(1, m.logs[panel]?.count ?? 0)
        case .labels: return max(1, m.labelBrowsers[panel]?.rows.count ?? 0)
        default: return 1
        }
    }

    /// The drill-down Enter opens from the focused row: a burning SLO or a firing alert leads to
    /// its service's logs over the burning window (the last hour, or since the alert started).
    static func drill(for m: DashboardModel) -> DrillDown? {
        guard m.spec.panels.indices.contains(m.focus) else { return nil }
        let end = m.rangeEnd
        let start = end - max(m.rangeNanos, 3_600_000_000_000)
        switch m.spec.panels[m.focus].type {
        case .sloTable:
            guard m.slos.indices.contains(m.selected(m.focus)) else { return nil }
            let s = m.slos[m.selected(m.focus)]
            return DrillDown(title: "\(s.service) / \(s.slo): logs over the burning window", query: "{service=\"\(s.service)\"}",
                             start: start, end: end)
        case .alerts:
            guard m.alerts.indices.contains(m.selected(m.focus)) else { return nil }
            let a = m.alerts[m.selected(m.focus)]
            let service = a.service.isEmpty ? ".+" : a.service
            return DrillDown(title: "\(a.name) (\(a.severity)): logs of \(a.service.isEmpty ? "all services" : a.service)",
                             query: "{service=~\"\(service)\"}", start: start, end: end)
        default:
            return nil
        }
    }
}
