import KansokuCore
import Synchronization

/// The simulated service's Prometheus metrics: a request counter by handler and code, and a
/// latency histogram by handler, rendered in the text exposition format.
final class DemoMetrics: Sendable {
    static let buckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    struct Histogram {
        var counts = [UInt64](repeating: 0, count: DemoMetrics.buckets.count)
        var sum = 0.0
        var count: UInt64 = 0
    }

    struct State {
        var requests: [String: [Int: UInt64]] = [:]
        var latency: [String: Histogram] = [:]
    }

    private let state = Mutex(State())

    func observe(handler: String, code: Int, seconds: Double) {
        state.withLock { s in
            s.requests[handler, default: [:]][code, default: 0] += 1
            var h = s.latency[handler] ?? Histogram()
            for (i, b) in Self.buckets.enumerated() where seconds <= b { h.counts[i] += 1 }
            h.sum += seconds
            h.count += 1
            s.latency[handler] = h
        }
    }

    func render() -> String {
        let s = state.withLock { $0 }
        var out = "# HELP http_requests_total Requests served, by handler and status code.\n# TYPE http_requests_total counter\n"
        for handler in s.requests.keys.sorted() {
            for code in s.requests[handler]!.keys.sorted() {
                out += "http_requests_total{service=\"streaming\",handler=\"\(handler)\",code=\"\(code)\"} \(s.requests[handler]![code]!)\n"
            }
        }
        out += "# HELP http_request_duration_seconds Request latency.\n# TYPE http_request_duration_seconds histogram\n"
        for handler in s.latency.keys.sorted() {
            let h = s.latency[handler]!
            let base = "service=\"streaming\",handler=\"\(handler)\""
            for (i, b) in Self.buckets.enumerated() {
                out += "http_request_duration_seconds_bucket{\(base),le=\"\(GoFloat.fixed(b))\"} \(h.counts[i])\n"
            }
            out += "http_request_duration_seconds_bucket{\(base),le=\"+Inf\"} \(h.count)\n"
            out += "http_request_duration_seconds_sum{\(base)} \(h.sum)\n"
            out += "http_request_duration_seconds_count{\(base)} \(h.count)\n"
        }
        return out
    }
}
