import Foundation
import KansokuCore
import KansokuTUI

/// `kansoku-bench tui`: the dashboard's frame cost at 200×60 with live-looking data — full
/// render + diff per frame, bytes written for an idle refresh (nothing changed) and for one
/// new log line, and the CPU an idle dashboard uses at its 5 Hz tick.
enum TUIBench {
    static func run(arguments: [String]) async throws {
        let now = TimeParser.currentNanos()
        var m = DashboardModel(spec: try DashboardSpec.parse(DashboardSpec.embeddedOverview), address: "http://127.0.0.1:3100")
        m.now = now
        m.lastUpdate = now
        var rows: [SLORow] = []
        for i in 0..<6 {
            let k = Double(i)
            let burns: [String: Double] = ["5m": k * 3, "30m": 2, "1h": k, "2h": 1, "6h": 0.5, "1d": 0.2, "3d": 0.1]
            rows.append(SLORow(service: "svc-\(i)", slo: "availability", objective: 0.999, errorRatio5m: 0.01 * k,
                               budgetRemaining: 1 - 0.15 * k, burnRates: burns, firing: i > 4 ? ["page"] : []))
        }
        m.slos = rows
        var series: [SeriesData] = []
        for s in 0..<4 {
            var points: [(t: Double, v: Double)] = []
            for j in 0..<240 {
                let x = Double(j + s * 10) / 20
                points.append((t: Double(j) * 15, v: sin(x) + 1))
            }
            series.append(SeriesData(labels: Labels(["sloth_slo": "slo-\(s)"]), points: points))
        }
        m.series[2] = series
        var lines: [LogLine] = []
        for i in 0..<500 {
            let text = "10.0.\(i % 256).1 - - [22/Nov/2026:02:47:30 +0000] \"GET /live/seg-\(i).ts HTTP/1.1\" 503 157 rt=1.2"
            lines.append(LogLine(timestamp: now - Int64(i) * 100_000_000, labels: Labels(["app": "nginx"]), line: text))
        }
        m.logs[3] = lines
        let frames = 400
        var renderer = Renderer(depth: .palette256)
        _ = renderer.render(DashboardView.render(m, width: 200, height: 60))
        let clock = ContinuousClock()
        var idleBytes = 0
        let start = clock.now
        for _ in 0..<frames {
            renderer.invalidate()
            _ = renderer.render(DashboardView.render(m, width: 200, height: 60))
        }
        let fullFrame = (clock.now - start) / frames
        let idleStart = clock.now
        for _ in 0..<frames { idleBytes += renderer.render(DashboardView.render(m, width: 200, height: 60)).count }
        let idleFrame = (clock.now - idleStart) / frames
        m.logs[3]!.insert(LogLine(timestamp: now + 1, labels: Labels(["app": "streaming-api"]), line: "ERROR origin-3 connection pool exhausted"), at: 0)
        m.logs[3]!.removeLast()
        let changed = renderer.render(DashboardView.render(m, width: 200, height: 60)).count
        let fullMs = Double(fullFrame.components.attoseconds) / 1e15 + Double(fullFrame.components.seconds) * 1000
        let idleMs = Double(idleFrame.components.attoseconds) / 1e15 + Double(idleFrame.components.seconds) * 1000
        // An idle dashboard draws when the shown time changes, once a second (its 5 Hz ticks
        // skip the others): CPU share = idle frame time × 1 per second.
        let idleCPU = idleMs / 1000
        print(#"{"bench":"tui","what":"frame","size":"200x60","render_diff_ms":\#(fmt(fullMs)),"target_ms":5}"#)
        print(#"{"bench":"tui","what":"idle_refresh","bytes_written":\#(idleBytes / frames),"frame_ms":\#(fmt(idleMs))}"#)
        print(#"{"bench":"tui","what":"one_new_log_line","bytes_written":\#(changed)}"#)
        print(#"{"bench":"tui","summary":true,"render_diff_ms":\#(fmt(fullMs)),"idle_bytes":\#(idleBytes / frames),"idle_cpu_fraction_of_core":\#(fmt(idleCPU)),"targets":{"render_diff_ms":"<5","idle_bytes":"0","idle_cpu":"<0.02"}}"#)
    }

    static func fmt(_ v: Double) -> String { String(format: "%.4f", v) }
}
