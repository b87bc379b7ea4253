import Foundation
import KansokuCore
@testable import KansokuServer
import Testing

/// Mistakes users make in kansoku.yaml, each refused with the file, line, key path and the
/// key that was meant, instead of being ignored.
@Suite struct ConfigMistakeTests {
    func message(_ yaml: String) -> String {
        do {
            _ = try KansokuConfig.parse(yaml, path: "kansoku.yaml")
            return "accepted"
        } catch {
            return error.description
        }
    }

    @Test func misspeltKey() {
        #expect(message("""
        metrics:
          scrape_intervall: 15s
        """) == "kansoku.yaml:2:3: unknown key metrics.scrape_intervall, did you mean `scrape_interval`?")
    }

    @Test func camelCaseKey() {
        #expect(message("""
        server:
          listen: 127.0.0.1:3100
          bearerTokenFile: /etc/kansoku/token
        """) == "kansoku.yaml:3:3: unknown key server.bearerTokenFile, did you mean `bearer_token_file`?")
    }

    @Test func keyInsideAListItem() {
        #expect(message("""
        logs:
          targets:
            - paths: ["/var/log/nginx/*.log"]
              label: { app: nginx }
        """) == "kansoku.yaml:4:7: unknown key logs.targets[0].label, did you mean `labels`?")
    }

    @Test func keyInTheWrongSectionHasNoGuessWhenNothingIsClose() {
        #expect(message("""
        storage:
          path: ./data
          tenancy: true
        """) == "kansoku.yaml:3:3: unknown key storage.tenancy")
    }

    @Test func everyUnknownKeyIsListedInFileOrder() {
        #expect(message("""
        sever: { listen: 127.0.0.1:3100 }
        notify:
          receivers:
            - { name: oncall, webhook: { url: "http://127.0.0.1:9000/hook", send_resloved: true } }
          route: { receiver: oncall, group_wait: 30s, repeat_intervall: 4h }
        """) == """
        kansoku.yaml:1:1: unknown key sever, did you mean `server`?
        kansoku.yaml:4:69: unknown key notify.receivers[0].webhook.send_resloved, did you mean `send_resolved`?
        kansoku.yaml:5:47: unknown key notify.route.repeat_intervall, did you mean `repeat_interval`?
        """)
    }

    /// `metrics:` is read by two types at once (scrape settings and remote_write): a key
    /// either reads is valid, and a typo under remote_write is found there.
    @Test func sectionsReadByTwoTypes() throws {
        let c = try KansokuConfig.parse("""
        metrics:
          scrape_interval: 15s
          remote_write: [ { url: "http://127.0.0.1:9009/api/v1/push", remote_timeout: 30s } ]
        """)
        #expect(c.remoteWrite.count == 1)
        #expect(message("""
        metrics:
          scrape_interval: 15s
          remote_write:
            - url: http://127.0.0.1:9009/api/v1/push
              queue_confg: { capacity: 10000 }
        """) == "kansoku.yaml:5:7: unknown key metrics.remote_write[0].queue_confg, did you mean `queue_config`?")
    }

    /// Sections read through dynamic keys (label maps, one-key pipeline stages) and through
    /// several key sets at once (webhook endpoints) accept all they should.
    @Test func validConfigurationsStillLoad() throws {
        let c = try KansokuConfig.parse("""
        server: { listen: 127.0.0.1:3100, tenancy: false, max_entries_limit: 5000 }
        storage: { path: ./data, retention: 720h, fsync: batch }
        logs:
          targets:
            - paths: ["/var/log/nginx/*.log"]
              labels: { app: nginx, env: prod, anything_goes: here }
              pipeline:
                - regex: '^(?P<ip>\\S+) .* (?P<status>\\d{3})'
                - labels: [status]
        metrics:
          scrape_interval: 15s
          targets: [ { job: app, targets: ["127.0.0.1:8080"], metrics_path: /metrics } ]
        rules: { files: ["rules/*.yaml"], interval: 30s }
        notify:
          receivers:
            - { name: oncall, webhook: { url: "http://127.0.0.1:9000/hook", max_alerts: 10, send_resolved: true } }
          route: { receiver: oncall, group_by: [alertname, service], group_wait: 30s, group_interval: 5m, repeat_interval: 4h }
        """)
        #expect(c.logs.targets?.first?.labels?["anything_goes"] == "here")
        #expect(c.notify?.receivers.count == 1)
    }

    @Test func closestNames() {
        #expect(closestName(to: "scrape_intervall", among: ["scrape_interval", "scrape_timeout", "targets"]) == "scrape_interval")
        #expect(closestName(to: "scrapeInterval", among: ["scrape_interval", "scrape_timeout"]) == "scrape_interval")
        #expect(closestName(to: "exper", among: ["expr", "for", "labels"]) == "expr")
        #expect(closestName(to: "retnetion", among: ["path", "retention", "fsync"]) == "retention")
        #expect(closestName(to: "tenancy", among: ["path", "retention", "fsync"]) == nil)
        #expect(closestName(to: "x", among: ["y"]) == "y")
        #expect(closestName(to: "x", among: ["abc"]) == nil)
    }
}
