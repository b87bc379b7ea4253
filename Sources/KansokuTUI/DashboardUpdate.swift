/// What the run loop must do after an update.
public enum Effect: Sendable, Equatable {
    case refresh
    case loadDrill(DrillDown)
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
        case .drill(var d):
            switch key {
            case .char("q"), .ctrl("c"): return [.quit]
            case .escape:
                if d.openPattern != nil { d.openPattern = nil; d.scroll = 0; m.mode = .drill(d) } else { m.mode = .dashboard }
            case .up, .char("k"), .wheelUp:
                if d.openPattern != nil { d.scroll = max(0, d.scroll - 1) } else { d.selected = max(0, d.selected - 1) }
                m.mode = .drill(d)
            case .down, .char("j"), .wheelDown:
                if d.openPattern != nil { d.scroll += 1 } else { d.selected = min(max(0, d.patterns.count - 1), d.selected + 1) }
                m.mode = .drill(d)
            case .enter:
                if d.openPattern == nil, !d.patterns.isEmpty { d.openPattern = d.selected; d.scroll = 0; m.mode = .drill(d) }
            case .char("r"): return [.loadDrill(d)]
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
            if let d = drill(for: m) { m.mode = .drill(d); return [.loadDrill(d)] }
        default: break
        }
        return []
    }

    static func rowCount(_ m: DashboardModel, _ panel: Int) -> Int {
        guard m.spec.panels.indices.contains(panel) else { return 1 }
        switch m.spec.panels[panel].type {
        case .sloTable: return max(1, m.slos.count)
        case .alerts: return max(1, m.alerts.count)
        case .logs: return max(1, m.logs[panel]?.count ?? 0)
        default: return 1
        }
    }

    /// The drill-down Enter opens from the focused row: a burning SLO or a firing alert leads to
    /// its service's logs over the burning window (the last hour, or since the alert started).
    static func drill(for m: DashboardModel) -> DrillDown? {
        guard m.spec.panels.indices.contains(m.focus) else { return nil }
        let end = m.now
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
