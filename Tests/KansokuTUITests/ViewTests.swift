import KansokuCore
import KansokuExplain
@testable import KansokuTUI
import Testing

/// Panels rendered headlessly to text grids and asserted line by line.
@Suite struct ViewTests {
    static let now: Int64 = 1_795_305_600_000_000_000   // 2026-11-22T00:00:00Z

    static func model(width: Int = 80) -> DashboardModel {
        var m = DashboardModel(spec: try! DashboardSpec.parse(DashboardSpec.embeddedOverview), address: "http://127.0.0.1:3100")
        m.now = now
        m.lastUpdate = now
        m.slos = [
            SLORow(service: "streaming", slo: "playback-availability", objective: 0.995, errorRatio5m: 0.2, budgetRemaining: 0.1,
                   burnRates: ["5m": 40, "1h": 20, "6h": 3], firing: ["page"]),
            SLORow(service: "streaming", slo: "requests-latency", objective: 0.99, errorRatio5m: 0, budgetRemaining: 1,
                   burnRates: ["5m": 0, "1h": 0, "6h": 0]),
        ]
        m.alerts = [AlertRow(labels: Labels(["alertname": "StreamingPlaybackAvailability", "severity": "page", "sloth_service": "streaming"]),
                             state: "firing")]
        m.logs[3] = [LogLine(timestamp: now - 1_000_000_000, labels: Labels(["app": "nginx"]),
                             line: "10.0.0.1 - - \"GET /live/seg-1.ts HTTP/1.1\" 503 157")]
        m.series[2] = [SeriesData(labels: Labels(["sloth_slo": "playback"]), points: (0..<10).map { (t: Double($0), v: Double($0) / 10) })]
        return m
    }

    @Test func overviewAt80x24() {
        let lines = DashboardView.render(Self.model(), width: 80, height: 24).lines
        #expect(lines.count == 24)
        #expect(lines[0].hasPrefix(" 観測 Kansoku overview  range 1h  ● live"))
        #expect(lines[0].hasSuffix("00:00:00"))
        #expect(lines[1].hasPrefix("─ SLOs ─"))
        #expect(lines[2] == " SLO           OBJ     SLI     BUDGET LEFT      5m     1h     6h  STATE")
        #expect(lines[3] == " streaming/pl   99.5%   80.00%  █░░░░░░░   10%  40.0x  20.0x   3.0x  FIRING page")
        #expect(lines[4] == " streaming/re   99.0%  100.00%  ████████  100%   0.0x   0.0x   0.0x  ok")
        #expect(lines.contains { $0.hasPrefix(" FIRING  StreamingPlaybackAvailability") })
        #expect(lines.contains { $0.contains("nginx") && $0.contains("503 157") })
        #expect(lines[23].hasPrefix("? help  Tab focus"))
    }

    @Test func overviewAt200x60() {
        let lines = DashboardView.render(Self.model(), width: 200, height: 60).lines
        #expect(lines.count == 60)
        #expect(lines[2].contains("5m    30m     1h     2h     6h     1d     3d  STATE"))
        #expect(lines[3].hasPrefix(" streaming/playback-availability"))
        #expect(lines[3].hasSuffix("FIRING page"))
        #expect(lines.contains { $0.contains("┤") && $0.contains("%") })   // chart axis
        #expect(lines.contains { $0.contains("■ sloth_slo=playback") })   // legend
        #expect(lines.contains { $0.unicodeScalars.contains { (0x2801...0x28FF).contains($0.value) } })  // braille dots
    }

    @Test func tooSmallTerminalSaysSo() {
        let lines = DashboardView.render(Self.model(), width: 20, height: 5).lines
        #expect(lines[0] == "terminal too small:")   // "20x5" clipped at 20 columns
        #expect(lines[1] == "need at least 40x10")
    }

    @Test func drillDownListsPatternsWithNewMarks() {
        var m = Self.model()
        var d = DrillDown(title: "streaming / playback-availability: logs over the burning window", query: "{service=\"streaming\"}",
                          start: Self.now - 3_600_000_000_000, end: Self.now)
        d.lines = (0..<30).map { i in
            LogLine(timestamp: Self.now - Int64(i) * 60_000_000_000, labels: Labels(),
                    line: i % 3 == 0 ? "ERROR origin-3 connection pool exhausted: active=512 waiting=\(200 + i)"
                        : "ERROR segment fetch failed: origin=origin-3 status=503 path=/live/seg-\(i).ts")
        }
        d.patterns = LogPatterns.cluster(d.lines, baseline: [LogLine(timestamp: 0, labels: Labels(),
                                                                      line: "ERROR segment fetch failed: origin=origin-1 status=404 path=/vod/x")])
        d.loading = false
        m.mode = .drill(d)
        let lines = DashboardView.render(m, width: 120, height: 30).lines
        #expect(lines[1] == " streaming / playback-availability: logs over the burning window")
        #expect(lines[2].contains("30 error lines, 2 patterns"))
        #expect(lines[3].hasPrefix(" COUNT  NEW  TREND"))
        #expect(lines[4].hasPrefix("    20") && lines[4].hasSuffix("ERROR segment fetch failed: origin=<*> status=<*> path=<*>"))
        #expect(lines[5].hasPrefix("    10  NEW") && lines[5].hasSuffix("ERROR <*> connection pool exhausted: active=<*> waiting=<*>"))
    }
}

@Suite struct TerminalLayerTests {
    @Test func widths() {
        #expect(CharWidth.of("a") == 1)
        #expect(CharWidth.of("観") == 2)
        #expect(CharWidth.of("🔥") == 2)
        #expect(CharWidth.of("é") == 1)
        #expect(CharWidth.of("e\u{301}") == 1)
        #expect(CharWidth.of("❤️") == 2)
    }

    @Test func wideCharactersTakeTwoCellsAndClip() {
        var b = ScreenBuffer(width: 5, height: 1)
        b.put("a観b観", x: 0, y: 0)
        #expect(b.lines == ["a観b"])
        #expect(b[1, 0].text == "観" && b[2, 0].text == "")
    }

    @Test func rendererWritesOnlyChangedCells() {
        var r = Renderer(depth: .ansi16)
        var a = ScreenBuffer(width: 20, height: 3)
        a.put("hello world", x: 0, y: 0)
        let first = r.render(a)
        #expect(String(decoding: first, as: UTF8.self).contains("hello world"))
        #expect(r.render(a).isEmpty)                       // idle frame: nothing written
        var b = a
        b.put("W", x: 6, y: 0, style: CellStyle(fg: .red))
        let diff = String(decoding: r.render(b), as: UTF8.self)
        #expect(diff == "\u{1B}[1;7H\u{1B}[0;31mW\u{1B}[0m")
    }

    @Test func noColorDropsColours() {
        #expect(ColorDepth.detect(environment: ["NO_COLOR": "1", "TERM": "xterm-256color"]) == .none)
        #expect(ColorDepth.detect(environment: ["COLORTERM": "truecolor"]) == .truecolor)
        #expect(ColorDepth.detect(environment: ["TERM": "screen-256color"]) == .palette256)
        var r = Renderer(depth: .none)
        var b = ScreenBuffer(width: 3, height: 1)
        b.put("x", x: 0, y: 0, style: CellStyle(fg: .red, bold: true))
        #expect(String(decoding: r.render(b), as: UTF8.self).contains("\u{1B}[0;1mx"))
    }

    @Test func keys() {
        #expect(KeyDecoder.decode(Array("q\r\t".utf8)) == [.char("q"), .enter, .tab])
        #expect(KeyDecoder.decode([0x1B, 0x5B, 0x41, 0x1B, 0x5B, 0x5A, 0x03]) == [.up, .backtab, .ctrl("c")])
        #expect(KeyDecoder.decode(Array("\u{1B}[<64;10;5M\u{1B}[6~".utf8)) == [.wheelUp, .pageDown])
        #expect(KeyDecoder.decode([0x1B]) == [.escape])
    }

    @Test func updateDrillsDownFromABurningSLO() {
        var m = ViewTests.model()
        #expect(DashboardUpdate.handle(.down, &m).isEmpty)
        #expect(m.selected(0) == 1)
        _ = DashboardUpdate.handle(.up, &m)
        let effects = DashboardUpdate.handle(.enter, &m)
        guard case .drill(let d) = m.mode, case .loadDrill = effects.first else { Issue.record("no drill-down"); return }
        #expect(d.query == "{service=\"streaming\"}")
        _ = DashboardUpdate.handle(.escape, &m)
        #expect(m.mode == .dashboard)
        #expect(DashboardUpdate.handle(.char("q"), &m) == [.quit])
    }
}
