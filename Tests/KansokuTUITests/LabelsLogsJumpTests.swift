import Foundation
import KansokuCore
@testable import KansokuTUI
import Testing

/// The labels browser, a logs panel whose edited query the server rejects, and jumping to a time.
@Suite struct LabelsLogsJumpTests {
    static let now = ViewTests.now
    static let nginx = DashboardFeatureTests.nginx

    // MARK: labels

    @Test func labelsPanelListsNamesAt80x24() {
        let lines = DashboardView.render(DashboardFeatureTests.labelsModel(), width: 80, height: 24).lines
        #expect(lines[1].hasPrefix("─ Labels ─"))
        #expect(lines[2] == " label names  (Enter: values)")
        #expect(lines[3] == " app")
        #expect(lines[4] == " service")
    }

    @Test func enterOnANameThenAValueOpensItsLogs() {
        var m = DashboardFeatureTests.labelsModel()
        _ = DashboardUpdate.handle(.down, &m)
        #expect(DashboardUpdate.handle(.enter, &m) == [.refresh])
        #expect(m.labelBrowsers[0]?.openName == "service")
        #expect(m.selected(0) == 0)
        #expect(DashboardView.render(m, width: 80, height: 24).lines[3] == " loading…")
        m.labelBrowsers[0]?.values = ["api", "streaming"]
        var lines = DashboardView.render(m, width: 200, height: 60).lines
        #expect(lines[2] == " values of service  (Enter: logs, Esc: names)")
        #expect(lines[3].hasPrefix(#" service="api""#))
        #expect(lines[4] == #" service="streaming""#)
        _ = DashboardUpdate.handle(.down, &m)
        let effects = DashboardUpdate.handle(.enter, &m)
        guard case .logView(var v) = m.mode else { Issue.record("no log view"); return }
        #expect(v.query == #"{service="streaming"}"#)
        #expect(v.end == Self.now + 1 && v.start == Self.now - 3_600_000_000_000)
        #expect(effects == [.loadLogView(v)])
        v.lines = [Self.nginx]
        v.loading = false
        m.mode = .logView(v)
        lines = DashboardView.render(m, width: 80, height: 24).lines
        #expect(lines[1] == #" {service="streaming"}"#)
        #expect(lines[2] == " 23:00:00–00:00:00  1 lines")
        #expect(lines[3].hasPrefix(" 23:59:59 nginx          10.0.0.1 - - \"GET /live/seg-1.ts HTTP/1.1\" 503 157"))
        #expect(lines[23].hasPrefix("↑↓ scroll  f follow request  w wrap  r reload  Esc back  q quit"))
        _ = DashboardUpdate.handle(.escape, &m)
        #expect(m.mode == .dashboard)
        // Esc on the values goes back to the names, with the name selected again.
        _ = DashboardUpdate.handle(.escape, &m)
        #expect(m.labelBrowsers[0]?.openName == nil && m.selected(0) == 1)
    }

    @Test func selectorEscapesQuotes() {
        #expect(DashboardUpdate.selector("path", #"/a"b\c"#) == #"{path="/a\"b\\c"}"#)
    }

    @Test func loaderReadsNamesAndTheOpenLabelsValues() async {
        let source = FixedDataSource(.init(logs: [#"{service="api"}"#: [Self.nginx]], labelValues: ["app": ["nginx"], "service": ["api"]]))
        var m = DashboardFeatureTests.labelsModel()
        m.labelBrowsers[0] = LabelBrowser(openName: "service")
        let loader = DashboardLoader(source: source)
        m = await loader.load(m, now: Self.now)
        #expect(m.labelBrowsers[0] == LabelBrowser(names: ["app", "service"], openName: "service", values: ["api"]))
        let v = await loader.loadLogView(LogView(query: #"{service="api"}"#, start: 0, end: Self.now))
        #expect(v.lines == [Self.nginx] && !v.loading && v.error == nil)
    }

    // MARK: logs errors

    static func rejectedQueryModel() -> DashboardModel {
        var m = ViewTests.model()
        m.focus = 3
        m.queries[3] = #"{service="streaming"} |= "503" | json |"#
        m.errors[3] = "parse error at 1:40: expected a label filter or stage after |"
        return m
    }

    @Test func rejectedQueryShowsItsErrorAboveTheOldLinesAt80x24() {
        let lines = DashboardView.render(Self.rejectedQueryModel(), width: 80, height: 24).lines
        let title = lines.firstIndex { $0.hasPrefix("─ Error logs ─ ") }
        guard let title else { Issue.record("no logs title"); return }
        #expect(lines[title].hasPrefix(#"─ Error logs ─ {service="streaming"} |= "503" | json | ──"#))
        #expect(lines[title + 1] == " error: parse error at 1:40: expected a label filter or stage after |")
        #expect(lines[title + 2].hasPrefix(" 23:59:59 nginx          10.0.0.1 - - \"GET /live/seg-1.ts HTTP/1.1\" 503 157"))
    }

    @Test func rejectedQueryAt200x60() {
        let lines = DashboardView.render(Self.rejectedQueryModel(), width: 200, height: 60).lines
        let title = lines.firstIndex { $0.hasPrefix("─ Error logs ─ ") } ?? 0
        #expect(lines[title + 1] == " error: parse error at 1:40: expected a label filter or stage after |")
        #expect(lines[title + 2].hasSuffix("503 157"))
        #expect(lines[title + 2].contains("\"GET /live/seg-1.ts HTTP/1.1\" 503 157"))
    }

    @Test func editedQueryThatFailsKeepsTheLastGoodLines() async {
        let good = #"{service=~".+"} |~ "(?i)error|fail|timed out| 5[0-9][0-9] ""#
        let bad = #"{service="streaming"} |= "503" | json |"#
        let source = FixedDataSource(.init(logs: [good: [Self.nginx]], rejected: [bad: "parse error at 1:40: expected a stage"]))
        let loader = DashboardLoader(source: source)
        var m = DashboardModel(spec: try! DashboardSpec.parse(DashboardSpec.embeddedOverview), address: "x")
        m.tail = false
        m = await loader.load(m, now: Self.now)
        #expect(m.logs[3] == [Self.nginx] && m.errors[3] == nil)
        m.focus = 3
        _ = DashboardUpdate.handle(.char("/"), &m)
        _ = DashboardUpdate.handle(.ctrl("u"), &m)
        for c in bad { _ = DashboardUpdate.handle(.char(c), &m) }
        #expect(DashboardUpdate.handle(.enter, &m) == [.refresh])
        m = await loader.load(m, now: Self.now)   // paused, but the query changed: it is asked
        #expect(source.queries.last == bad)
        #expect(m.errors[3] == "parse error at 1:40: expected a stage")
        #expect(m.logs[3] == [Self.nginx])
    }

    // MARK: jump to time

    @Test func jumpToAnRFC3339Time() {
        var m = ViewTests.model()
        _ = DashboardUpdate.handle(.char("g"), &m)
        for c in "2026-11-21T23:30:00Z" { _ = DashboardUpdate.handle(.char(c), &m) }
        var lines = DashboardView.render(m, width: 80, height: 24).lines
        #expect(lines[23].hasPrefix("jump to> 2026-11-21T23:30:00Z▏  RFC3339, unix, now-2h or 2h; empty: now"))
        #expect(DashboardUpdate.handle(.enter, &m) == [.refresh])
        #expect(m.endTime == Self.now - 1_800_000_000_000 && !m.tail)
        lines = DashboardView.render(m, width: 80, height: 24).lines
        #expect(lines[0].hasPrefix(" 観測 Kansoku overview  range 1h  until 23:30:00  ‖ paused"))
        #expect(lines[23].hasPrefix("at 2026-11-21T23:30:00Z · ? help"))
        lines = DashboardView.render(m, width: 200, height: 60).lines
        #expect(lines[0].hasPrefix(" 観測 Kansoku overview  range 1h  until 23:30:00  ‖ paused"))
    }

    @Test func jumpAcceptsDurationsRejectsNonsenseAndEmptyFollowsNow() {
        var m = ViewTests.model()
        _ = DashboardUpdate.handle(.char("g"), &m)
        for c in "2h" { _ = DashboardUpdate.handle(.char(c), &m) }
        _ = DashboardUpdate.handle(.enter, &m)
        #expect(m.endTime == Self.now - 7_200_000_000_000)
        _ = DashboardUpdate.handle(.char("g"), &m)
        for c in "yesterday" { _ = DashboardUpdate.handle(.char(c), &m) }
        #expect(DashboardUpdate.handle(.enter, &m).isEmpty)
        #expect(m.mode == .jumping(text: "yesterday"))
        #expect(m.status?.hasPrefix("cannot read time \"yesterday\"") == true)
        _ = DashboardUpdate.handle(.ctrl("u"), &m)
        _ = DashboardUpdate.handle(.enter, &m)
        #expect(m.endTime == nil && m.tail && m.mode == .dashboard)
    }

    @Test func loaderReadsTheRangeEndingAtTheJumpedTime() async {
        let source = FixedDataSource(.init())
        var m = DashboardModel(spec: try! DashboardSpec.parse(DashboardSpec.embeddedOverview), address: "x")
        m.endTime = Self.now - 7_200_000_000_000
        m = await DashboardLoader(source: source).load(m, now: Self.now)
        #expect(m.loadedQueries[3]?.hasSuffix("@\(Self.now - 7_200_000_000_000)/3600000000000") == true)
    }
}
