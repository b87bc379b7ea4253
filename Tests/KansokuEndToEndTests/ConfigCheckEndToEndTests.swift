import Foundation
import KansokuTestSupport
import Testing

/// `kansoku server --config F --check` on five mistakes users make, and on a valid file: the
/// messages as printed, and exit statuses scripts can trust.
@Suite(.serialized, .requires(TestPaths.kansoku)) struct ConfigCheckEndToEndTests {
    func check(_ yaml: String, files: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let bin = try #require(TestPaths.binary)
        let dir = TestPaths.makeTempDir("config-check")
        for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        let config = dir.appendingPathComponent("kansoku.yaml")
        try yaml.replacingOccurrences(of: "$DIR", with: dir.path).write(to: config, atomically: true, encoding: .utf8)
        let r = try runCommand(bin.path, ["server", "--config", config.path, "--check"])
        return (r.status, r.output.replacingOccurrences(of: dir.path + "/", with: ""))
    }

    @Test func fiveTypicalMistakes() throws {
        let cases: [(String, [String: String], String)] = [
            ("metrics:\n  scrape_intervall: 15s\n", [:],
             "error: kansoku.yaml:2:3: unknown key metrics.scrape_intervall, did you mean `scrape_interval`?\n"),
            ("storage: { path: ./data, retension: 720h }\n", [:],
             "error: kansoku.yaml:1:26: unknown key storage.retension, did you mean `retention`?\n"),
            ("logs:\n  targets:\n    - paths: [/var/log/app.log]\n      label: { app: web }\n", [:],
             "error: kansoku.yaml:4:7: unknown key logs.targets[0].label, did you mean `labels`?\n"),
            ("server:\n  bearerTokenFile: /etc/token\n", [:],
             "error: kansoku.yaml:2:3: unknown key server.bearerTokenFile, did you mean `bearer_token_file`?\n"),
            ("rules: { files: [\"$DIR/alerts.yaml\"] }\n",
             ["alerts.yaml": "groups:\n  - name: api\n    rules:\n      - alert: Down\n        exper: up == 0\n"],
             "error: alerts.yaml:5:9: unknown field \"exper\" in rule at groups[0].rules[0].exper, did you mean `expr`?\n"
                + "alerts.yaml:4:9: expr is required\n"),
        ]
        for (yaml, files, expected) in cases {
            let (status, output) = try check(yaml, files: files)
            #expect(status == 2, "\(output)")
            #expect(output == expected)
            print(output, terminator: "")
        }
    }

    @Test func aValidFilePasses() throws {
        let (status, output) = try check("""
        server: { listen: 127.0.0.1:3100 }
        storage: { retention: 24h }
        rules: { files: ["$DIR/alerts.yaml"], interval: 30s }
        """, files: ["alerts.yaml": "groups:\n  - name: api\n    rules:\n      - alert: Down\n        expr: up == 0\n"])
        #expect(status == 0, "\(output)")
        #expect(output.hasSuffix("kansoku.yaml: ok\n"))
    }

    @Test func valueProblemsAreReportedToo() throws {
        let (status, output) = try check("server: { listen: nowhere }\nstorage: { fsync: sometimes }\n")
        #expect(status == 2)
        #expect(output == """
        error: invalid server.listen: expected host:port, got "nowhere"
        invalid storage.fsync: expected batch, always or never, got "sometimes"

        """)
    }
}
