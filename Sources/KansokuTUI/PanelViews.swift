import Foundation
import KansokuCore

/// The panel kinds, each drawn into a rectangle of the buffer.
enum PanelViews {
    typealias Area = (x: Int, y: Int, w: Int, h: Int)

    static func pct(_ v: Double?, _ digits: Int = 2) -> String {
        guard let v, v.isFinite else { return "-" }
        return String(format: "%.\(digits)f%%", v * 100)
    }

    static func burnStyle(_ v: Double?) -> CellStyle {
        guard let v else { return DashboardView.dimStyle }
        if v >= 14.4 { return DashboardView.bad }
        if v >= 6 { return CellStyle(fg: .red) }
        if v >= 1 { return DashboardView.warn }
        return DashboardView.good
    }

    static func sloTable(_ rows: [SLORow], selected: Int?, _ b: inout ScreenBuffer, _ a: Area) {
        let windows = a.w >= 150 ? ["5m", "30m", "1h", "2h", "6h", "1d", "3d"] : a.w >= 100 ? ["5m", "1h", "6h", "1d", "3d"] : ["5m", "1h", "6h"]
        let nameW = max(12, min(40, a.w - 48 - windows.count * 7))   // room for OBJ…BUDGET (34), " FIRING page" (13)
        var x = b.put("SLO".rightPad(nameW), x: a.x + 1, y: a.y, style: CellStyle(bold: true))
        x = b.put("  OBJ     SLI     BUDGET LEFT  ", x: x, y: a.y, style: CellStyle(bold: true))
        for w in windows { x = b.put(w.leftPad(6) + " ", x: x, y: a.y, style: CellStyle(bold: true)) }
        b.put(" STATE", x: x, y: a.y, style: CellStyle(bold: true))
        if rows.isEmpty { b.put("no SLOs yet (rules are evaluated every interval)", x: a.x + 1, y: a.y + 1, style: DashboardView.dimStyle) }
        for (i, r) in rows.prefix(a.h - 1).enumerated() {
            let y = a.y + 1 + i
            let sel = selected == i
            if sel { b.fill(x: a.x, y: y, width: a.w, height: 1, style: CellStyle(reverse: true)) }
            let base = sel ? CellStyle(reverse: true) : CellStyle.plain
            var x = b.put("\(r.service)/\(r.slo)".rightPad(nameW), x: a.x + 1, y: y, style: base)
            x = b.put("  " + pct(r.objective, 1).leftPad(6), x: x, y: y, style: base)
            x = b.put("  " + pct(r.errorRatio5m.map { 1 - $0 }, 2).leftPad(7), x: x, y: y, style: base)
            let budget = r.budgetRemaining ?? 1
            let bar = 8, filled = max(0, min(bar, Int((budget * Double(bar)).rounded())))
            x = b.put("  ", x: x, y: y, style: base)
            x = b.put(String(repeating: "█", count: filled) + String(repeating: "░", count: bar - filled), x: x, y: y,
                      style: sel ? base : (budget < 0.25 ? DashboardView.bad : budget < 0.5 ? DashboardView.warn : DashboardView.good))
            x = b.put(" " + pct(r.budgetRemaining, 0).leftPad(5) + " ", x: x, y: y, style: base)
            for w in windows {
                let v = r.burnRates[w]
                let text = v.map { $0 >= 100 ? String(format: "%.0fx", $0) : String(format: "%.1fx", $0) } ?? "-"
                x = b.put(text.leftPad(6) + " ", x: x, y: y, style: sel ? base : burnStyle(v))
            }
            let state = r.firing.isEmpty ? "ok" : "FIRING " + r.firing.sorted().joined(separator: ",")
            b.put(" " + state, x: x, y: y, style: sel ? base : (r.firing.isEmpty ? DashboardView.good : DashboardView.bad))
        }
    }

    static func alerts(_ rows: [AlertRow], selected: Int?, _ b: inout ScreenBuffer, _ a: Area) {
        if rows.isEmpty { b.put("no alerts firing", x: a.x + 1, y: a.y, style: DashboardView.good); return }
        for (i, r) in rows.prefix(a.h).enumerated() {
            let y = a.y + i
            let sel = selected == i
            if sel { b.fill(x: a.x, y: y, width: a.w, height: 1, style: CellStyle(reverse: true)) }
            let base = sel ? CellStyle(reverse: true) : CellStyle.plain
            var x = b.put(r.state.uppercased().rightPad(8), x: a.x + 1, y: y, style: sel ? base : (r.state == "firing" ? DashboardView.bad : DashboardView.warn))
            x = b.put(r.name.rightPad(36) + " ", x: x, y: y, style: sel ? base : CellStyle(bold: true))
            x = b.put(r.severity.rightPad(8) + " ", x: x, y: y, style: base)
            let rest = r.labels.removing(["alertname", "severity", "__state"])
            b.put(rest.description, x: x, y: y, style: sel ? base : DashboardView.dimStyle)
        }
    }

    /// Label names, or the values of the open one, with a heading saying which.
    static func labels(_ lb: LabelBrowser, selected: Int?, _ b: inout ScreenBuffer, _ a: Area) {
        let heading = lb.openName.map { "values of \($0)  (Enter: logs, Esc: names)" } ?? "label names  (Enter: values)"
        b.put(heading, x: a.x + 1, y: a.y, style: CellStyle(bold: true))
        let rows = lb.rows
        if rows.isEmpty { b.put(lb.openName == nil ? "no labels yet" : "loading…", x: a.x + 1, y: a.y + 1, style: DashboardView.dimStyle) }
        let visible = max(0, a.h - 1)
        let first = max(0, (selected ?? 0) - visible + 1)
        for (k, text) in rows.dropFirst(first).prefix(visible).enumerated() {
            let y = a.y + 1 + k
            let sel = selected == first + k
            if sel { b.fill(x: a.x, y: y, width: a.w, height: 1, style: CellStyle(reverse: true)) }
            let shown = lb.openName.map { "\($0)=\"\(text)\"" } ?? text
            b.put(shown, x: a.x + 1, y: y, style: sel ? CellStyle(reverse: true) : (lb.openName == nil ? CellStyle(fg: .blue) : .plain))
        }
    }

    static func stat(_ series: [SeriesData], unit: String?, _ b: inout ScreenBuffer, _ a: Area) {
        let v = series.first?.points.last?.v
        b.put(format(v, unit: unit), x: a.x + 2, y: a.y, style: CellStyle(bold: true))
    }

    static func format(_ v: Double?, unit: String?) -> String {
        guard let v, v.isFinite else { return "-" }
        switch unit {
        case "ratio", "percent": return String(format: "%.3f%%", v * 100)
        case "s", "seconds": return v < 1 ? String(format: "%.0fms", v * 1000) : String(format: "%.2fs", v)
        default: return abs(v) >= 1000 ? String(format: "%.0f", v) : String(format: "%.3g", v)
        }
    }

    static let palette: [TermColor] = [.cyan, .yellow, .magenta, .green, .blue, .red]

    /// A braille line chart: each cell holds 2×4 dots; y axis on the left, legend below.
    static func chart(_ series: [SeriesData], unit: String?, _ b: inout ScreenBuffer, _ a: Area) {
        let all = series.flatMap { $0.points.map(\.v) }.filter(\.isFinite)
        guard !all.isEmpty, a.h >= 3 else { b.put("no data", x: a.x + 1, y: a.y, style: DashboardView.dimStyle); return }
        let lo = min(0, all.min()!), hi = max(all.max()!, lo + 1e-9)
        let ts = series.flatMap { $0.points.map(\.t) }
        let t0 = ts.min()!, t1 = max(ts.max()!, t0 + 1)
        let axisW = 9
        let plotW = max(1, a.w - axisW - 1), plotH = max(1, a.h - 2)
        b.put(format(hi, unit: unit).leftPad(axisW - 1) + "┤", x: a.x, y: a.y)
        b.put(format(lo, unit: unit).leftPad(axisW - 1) + "┤", x: a.x, y: a.y + plotH - 1)
        for y in 1..<max(1, plotH - 1) { b.put("│", x: a.x + axisW - 1, y: a.y + y, style: DashboardView.dimStyle) }
        for (si, s) in series.prefix(palette.count).enumerated() {
            var dots = [UInt8](repeating: 0, count: plotW * plotH)
            var prev: (Int, Int)?
            for p in s.points where p.v.isFinite {
                let px = Int((p.t - t0) / (t1 - t0) * Double(plotW * 2 - 1))
                let py = Int((1 - (p.v - lo) / (hi - lo)) * Double(plotH * 4 - 1))
                for (dx, dy) in line(from: prev ?? (px, py), to: (px, py)) {
                    let cx = dx / 2, cy = dy / 4
                    guard cx >= 0, cx < plotW, cy >= 0, cy < plotH else { continue }
                    dots[cy * plotW + cx] |= dotBit(dx % 2, dy % 4)
                }
                prev = (px, py)
            }
            for cy in 0..<plotH {
                for cx in 0..<plotW where dots[cy * plotW + cx] != 0 {
                    let existing = b[a.x + axisW + cx, a.y + cy].text.unicodeScalars.first?.value ?? 0
                    let merged = (existing >= 0x2800 && existing <= 0x28FF ? UInt8(existing - 0x2800) : 0) | dots[cy * plotW + cx]
                    b[a.x + axisW + cx, a.y + cy] = Cell(text: String(UnicodeScalar(0x2800 + UInt32(merged))!),
                                                         style: CellStyle(fg: palette[si]))
                }
            }
        }
        var x = a.x + axisW
        for (si, s) in series.prefix(palette.count).enumerated() {
            let name = s.labels.removing(["__name__"]).map { "\($0.name)=\($0.value)" }.joined(separator: ",")
            x = b.put("■ ", x: x, y: a.y + a.h - 1, style: CellStyle(fg: palette[si]))
            x = b.put((name.isEmpty ? "series" : name) + "  ", x: x, y: a.y + a.h - 1, style: DashboardView.dimStyle)
        }
    }

    static func dotBit(_ x: Int, _ y: Int) -> UInt8 {
        let bits: [[UInt8]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]
        return bits[y][x]
    }

    static func line(from a: (Int, Int), to b: (Int, Int)) -> [(Int, Int)] {
        let n = max(abs(b.0 - a.0), abs(b.1 - a.1), 1)
        return (0...n).map { i in (a.0 + (b.0 - a.0) * i / n, a.1 + (b.1 - a.1) * i / n) }
    }

    static func lineStyle(_ line: String) -> CellStyle {
        var line = line
        return line.withUTF8 { b in
            if contains(b, "error") || contains(b, " 50") || contains(b, "fail") { return CellStyle(fg: .red) }
            if contains(b, "warn") || contains(b, "retry") { return CellStyle(fg: .yellow) }
            return .plain
        }
    }

    /// Whether `bytes` contain the lowercase ASCII `word`, ignoring ASCII case (runs for every
    /// visible log line of every frame, so it stays on bytes).
    static func contains(_ bytes: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        guard w.count <= bytes.count else { return false }
        outer: for i in 0...(bytes.count - w.count) {
            for j in 0..<w.count {
                var c = bytes[i + j]
                if c >= 0x41 && c <= 0x5A { c |= 0x20 }
                if c != w[j] { continue outer }
            }
            return true
        }
        return false
    }

    /// The first `|=` literal of a query, for highlighting matches.
    static func highlight(of query: String) -> String? {
        guard let r = query.range(of: "|= \"") else { return nil }
        let rest = query[r.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        let s = String(rest[..<end])
        return s.isEmpty ? nil : s
    }

    static func logs(_ lines: [LogLine], query: String, selected: Int?, wrap: Bool, _ b: inout ScreenBuffer, _ a: Area) {
        if lines.isEmpty { b.put("no lines in range for \(query)", x: a.x + 1, y: a.y, style: DashboardView.dimStyle); return }
        let needle = highlight(of: query)
        var y = a.y
        let first = max(0, (selected ?? 0) - a.h + 1)
        for (i, l) in lines.enumerated().dropFirst(first) {
            guard y < a.y + a.h else { break }
            let sel = selected == i
            if sel { b.fill(x: a.x, y: y, width: a.w, height: 1, style: CellStyle(reverse: true)) }
            var x = b.put(DashboardView.clock(l.timestamp) + " ", x: a.x + 1, y: y, style: sel ? CellStyle(reverse: true) : DashboardView.dimStyle)
            x = b.put((l.labels["app"] ?? "").rightPad(14) + " ", x: x, y: y, style: sel ? CellStyle(reverse: true) : CellStyle(fg: .blue))
            let style = sel ? CellStyle(reverse: true) : lineStyle(l.line)
            var text = Substring(l.line)
            while true {
                if let needle, let r = text.range(of: needle) {
                    x = b.put(String(text[..<r.lowerBound]), x: x, y: y, style: style)
                    x = b.put(String(text[r]), x: x, y: y, style: CellStyle(fg: .black0, bg: .yellow, bold: true))
                    text = text[r.upperBound...]
                    continue
                }
                let w = b.width - x
                if wrap, CharWidth.of(String(text)) > w, y + 1 < a.y + a.h {
                    let cut = text.prefix(max(1, w))
                    b.put(String(cut), x: x, y: y, style: style)
                    text = text.dropFirst(cut.count)
                    y += 1
                    x = a.x + 25
                    continue
                }
                b.put(String(text), x: x, y: y, style: style)
                break
            }
            y += 1
        }
    }
}

extension TermColor {
    static let black0 = TermColor.ansi(0)
}
