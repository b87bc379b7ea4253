import Foundation
import KansokuCore
@testable import KansokuTUI
import Testing

/// A dashboard key no panel reads is refused with where it is and what was meant, so a
/// misspelt `query` does not leave a panel silently empty.
@Suite struct DashboardMistakeTests {
    @Test func misspeltPanelKey() {
        let yaml = """
        title: API
        panels:
          - type: stat
            title: Requests
            query: sum(rate(http_requests_total[5m]))
          - type: logs
            querry: '{app="api"} |= "error"'
        """
        do {
            _ = try DashboardSpec.parse(yaml, file: "dashboards/api.yaml")
            Issue.record("accepted a dashboard with an unknown key")
        } catch {
            #expect("\(error)" == "dashboards/api.yaml:7:5: unknown key panels[1].querry, did you mean `query`?")
        }
    }

    @Test func shippedDashboardsAreValid() throws {
        for name in ["overview", "service"] {
            let text = try #require(DashboardSpec.embedded(named: name))
            _ = try DashboardSpec.parse(text, file: name)
        }
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("dashboards")
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.path) where file.hasSuffix(".yaml") {
            let path = dir.appendingPathComponent(file).path
            _ = try DashboardSpec.parse(try String(contentsOfFile: path, encoding: .utf8), file: path)
        }
    }
}
