import Hummingbird
import KansokuCore
import KansokuScrape

/// `GET /api/v1/targets`: the scrape targets and how their last scrape went, in Prometheus's
/// shape (targets are static here, so `droppedTargets` is always empty).
struct TargetsAPI: Sendable {
    let board: ScrapeHealthBoard?

    func register(on router: Router<some RequestContext>) {
        router.get("/api/v1/targets") { request, _ in
            let state = RequestParameters.fromQuery(request)["state"]?.lowercased() ?? "any"
            guard ["any", "active", "dropped"].contains(state) else {
                throw APIError.badRequest("invalid state \"\(state)\": expected active, dropped or any")
            }
            return Response.json(successEnvelope { w in
                w.beginObject()
                w.key("activeTargets")
                w.beginArray()
                if state != "dropped" { for t in board?.all() ?? [] { Self.write(t, into: &w) } }
                w.endArray()
                w.key("droppedTargets")
                w.beginArray()
                w.endArray()
                w.endObject()
            })
        }
    }

    static func write(_ t: TargetHealth, into w: inout JSONWriter) {
        let scheme = t.url.hasPrefix("https://") ? "https" : "http"
        let afterScheme = t.url.dropFirst(scheme.count + 3)
        let path = afterScheme.firstIndex(of: "/").map { String(afterScheme[$0...]) } ?? "/metrics"
        w.beginObject()
        w.key("discoveredLabels")
        w.labels(Labels([
            "__address__": t.instance, "__metrics_path__": path, "__scheme__": scheme, "job": t.job,
            "__scrape_interval__": t.interval.description, "__scrape_timeout__": t.timeout.description,
        ]))
        w.key("labels")
        w.labels(t.labels)
        w.field("scrapePool", t.job)
        w.field("scrapeUrl", t.url)
        w.field("globalUrl", t.url)
        w.field("lastError", t.lastError ?? "")
        // Go's zero time for a target not scraped yet, as Prometheus prints it.
        w.field("lastScrape", t.lastScrape == 0 ? "0001-01-01T00:00:00Z" : TimeFormatter.rfc3339Nano(t.lastScrape * 1_000_000))
        w.key("lastScrapeDuration")
        w.raw(GoFloat.fixed(t.lastDurationSeconds))
        w.field("health", t.state.rawValue)
        w.field("scrapeInterval", t.interval.description)
        w.field("scrapeTimeout", t.timeout.description)
        w.endObject()
    }
}
