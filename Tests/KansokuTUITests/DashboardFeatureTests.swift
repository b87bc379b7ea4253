import Foundation
import KansokuCore
@testable import KansokuTUI
import Testing

/// Service dashboard and its variable, the labels browser, query errors and time jumps:
/// rendered headlessly and asserted line by line at 80×24 and 200×60.
@Suite struct DashboardFeatureTests {
    static let now = ViewTests.now
    static let nginx = LogLine(timestamp: now - 1_000_000_000, labels: Labels(["app": "nginx", "service": "streaming"]),
                               line: "10.0.0.1 - - \"GET /live/seg-1.ts HTTP/1.1\" 503 157")

    static func repositoryRoot() -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func service() -> DashboardModel {
        var m = DashboardModel(spec: try! DashboardSpec.parse(DashboardSpec.embeddedService), address: "http://127.0.0.1:3100")
        m.now = now
        m.lastUpdate = now
        m.variableOptions["service"] = ["api", "streaming"]
        m.variables["service"] = "streaming"
        m.series[0] = [SeriesData(labels: Labels(["code": "200"]), points: (0..<10).map { (t: Double($0), v: 100 + Double($0)) })]
        m.series[3] = [SeriesData(labels: Labels(), points: [(t: 0, v: 0.0123)])]
        m.logs[4] = [nginx]
        return m
    }

    static func labelsModel() -> DashboardModel {
        let yaml = """
        title: Explore
        panels:
          - type: labels
            title: Labels
        """
        var m = DashboardModel(spec: try! DashboardSpec.parse(yaml), address: "http://127.0.0.1:3100")
        m.now = now
        m.lastUpdate = now
        m.labelBrowsers[0] = LabelBrowser(names: ["app", "service"])
        return m
    }

    // MARK: shipped dashboards

    @Test func shippedDashboardFilesMatchTheEmbeddedOnes() throws {
        let dir = Self.repositoryRoot().appendingPathComponent("dashboards")
        for (file, embedded) in [("overview.yaml", DashboardSpec.embeddedOverview), ("service.yaml", DashboardSpec.embeddedService)] {
            let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            #expect(try DashboardSpec.parse(text) == DashboardSpec.parse(embedded), "\(file)")
            #expect(DashboardSpec.embedded(named: String(file.dropLast(5))) == embedded)
        }
        #expect(DashboardSpec.embedded(named: "nope") == nil)
    }

    @Test func serviceDashboardSubstitutesTheVariable() {
        let m = Self.service()
        #expect(m.spec.variables == [DashboardSpec.Variable(name: "service", label: "service", value: nil)])
        #expect(m.resolvedQuery(0) == #"sum by (code) (rate(http_requests_total{service="streaming"}[5m]))"#)
        #expect(m.resolvedQuery(1) == #"sum(rate(http_requests_total{service="streaming", code=~"5.."}[5m]))"#)
        #expect(m.resolvedQuery(2).contains(#"histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="streaming"}[5m])))"#))
        #expect(m.resolvedQuery(2).contains(#""q", "p50""#) && m.resolvedQuery(2).contains(#""q", "p95""#))
        #expect(m.resolvedQuery(3) == #"sum(rate(http_requests_total{service="streaming", code=~"5.."}[5m])) / sum(rate(http_requests_total{service="streaming"}[5m]))"#)
        #expect(m.resolvedQuery(4) == #"{service="streaming"}"#)
        var unset = m
        unset.variables = [:]
        #expect(unset.resolvedQuery(4) == #"{service=".*"}"#)
        #expect(m.resolved("${service}/$service_x") == "streaming/streaming_x")
    }

    @Test func serviceDashboardAt80x24() {
        let lines = DashboardView.render(Self.service(), width: 80, height: 24).lines
        #expect(lines.count == 24)
        #expect(lines[0].hasPrefix(" 観測 Service streaming  $service=streaming  range 1h  ● live"))
        #expect(lines[1].hasPrefix("─ Requests per second by code ─"))
        #expect(lines[2].hasPrefix("     109┤⠉⠉"))
        #expect(lines[3] == "       0┤")
        #expect(lines[5] == "         ■ code=200")
        #expect(lines[6].hasPrefix("─ 5xx per second ─"))
        #expect(lines[7] == " no data")
        #expect(lines[10].hasPrefix("─ Latency p50 / p95 / p99 ─"))
        #expect(lines[15].hasPrefix("─ Error ratio (5m) ─"))
        #expect(lines[16] == "  1.230%")
        #expect(lines[17].hasPrefix(#"─ Logs of streaming ─ {service="streaming"} ─"#))
        #expect(lines[18] == #" 23:59:59 nginx          10.0.0.1 - - "GET /live/seg-1.ts HTTP/1.1" 503 157"#)
        #expect(lines[19...22].allSatisfy { $0.isEmpty })
        #expect(lines[23].hasPrefix("? help  Tab focus"))
    }

    @Test func serviceDashboardAt200x60() {
        let lines = DashboardView.render(Self.service(), width: 200, height: 60).lines
        #expect(lines.count == 60)
        #expect(lines[0].hasPrefix(" 観測 Service streaming  $service=streaming  range 1h  ● live"))
        #expect(lines[59] == "? help  Tab focus  ↑↓ select  Enter drill-down  / query  t tail  [ ] range  g time  v $service  r refresh  q quit")
        #expect(lines[1].hasPrefix("─ Requests per second by code ─"))
        #expect(lines[5] == "       0┤" && lines[7] == "         ■ code=200")
        #expect(lines[8].hasPrefix("─ 5xx per second ─"))
        #expect(lines[14].hasPrefix("─ Latency p50 / p95 / p99 ─"))
        #expect(lines[21].hasPrefix("─ Error ratio (5m) ─"))
        #expect(lines[22] == "  1.230%")
        #expect(lines[23].hasPrefix(#"─ Logs of streaming ─ {service="streaming"} ─"#))
        #expect(lines[24] == #" 23:59:59 nginx          10.0.0.1 - - "GET /live/seg-1.ts HTTP/1.1" 503 157"#)
    }

    @Test func vCyclesTheVariableAndRefreshes() {
        var m = Self.service()
        #expect(DashboardUpdate.handle(.char("v"), &m) == [.refresh])
        #expect(m.variables["service"] == "api")
        #expect(m.resolvedQuery(4) == #"{service="api"}"#)
        #expect(m.status == "$service = api")
        _ = DashboardUpdate.handle(.char("v"), &m)
        #expect(m.variables["service"] == "streaming")
        _ = DashboardUpdate.handle(.char("V"), &m)
        #expect(m.variables["service"] == "api")
        var overview = ViewTests.model()
        #expect(DashboardUpdate.handle(.char("v"), &overview).isEmpty)
        #expect(overview.status == "this dashboard has no variables")
    }

    @Test func loaderPicksTheFirstValueAndRunsSubstitutedQueries() async {
        let source = FixedDataSource(.init(labelValues: ["service": ["api", "streaming"]]))
        var m = DashboardModel(spec: try! DashboardSpec.parse(DashboardSpec.embeddedService), address: "x")
        m = await DashboardLoader(source: source).load(m, now: Self.now)
        #expect(m.variables["service"] == "api")
        #expect(m.variableOptions["service"] == ["api", "streaming"])
        #expect(source.queries.first == #"sum by (code) (rate(http_requests_total{service="api"}[5m]))"#)
        #expect(source.queries.last == #"{service="api"}"#)
        #expect(!source.queries.contains { $0.contains("$service") })
    }
}
