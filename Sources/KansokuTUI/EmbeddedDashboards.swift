/// The dashboards shipped inside the binary, so `kansoku tui` works without the repository.
/// `dashboards/overview.yaml` and `dashboards/service.yaml` hold the same text.
extension DashboardSpec {
    /// All SLOs, firing alerts, the error ratio and error logs.
    public static let embeddedOverview = #"""
    title: Kansoku overview
    refresh: 5s
    range: 1h
    panels:
      - type: slo_table
        title: SLOs
        height: 8
      - type: alerts
        title: Firing alerts
        height: 5
      - type: timeseries
        title: Error ratio, 5m windows
        query: slo:sli_error:ratio_rate5m
        unit: ratio
        height: 9
      - type: logs
        title: Error logs
        query: '{service=~".+"} |~ "(?i)error|fail|timed out| 5[0-9][0-9] "'
    """#

    /// One `$service`: request and 5xx rates, latency percentiles, error ratio and its logs.
    public static let embeddedService = #"""
    title: Service $service
    refresh: 5s
    range: 1h
    variables:
      - name: service
        label: service
    panels:
      - type: timeseries
        title: Requests per second by code
        query: sum by (code) (rate(http_requests_total{service="$service"}[5m]))
        unit: req/s
        height: 7
      - type: timeseries
        title: 5xx per second
        query: sum(rate(http_requests_total{service="$service", code=~"5.."}[5m]))
        unit: req/s
        height: 6
      - type: timeseries
        title: Latency p50 / p95 / p99
        query: |-
          label_replace(histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{service="$service"}[5m]))), "q", "p50", "", "")
          or label_replace(histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="$service"}[5m]))), "q", "p95", "", "")
          or label_replace(histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="$service"}[5m]))), "q", "p99", "", "")
        unit: s
        height: 7
      - type: stat
        title: Error ratio (5m)
        query: sum(rate(http_requests_total{service="$service", code=~"5.."}[5m])) / sum(rate(http_requests_total{service="$service"}[5m]))
        unit: ratio
        height: 2
      - type: logs
        title: Logs of $service
        query: '{service="$service"}'
    """#

    /// The embedded dashboard called `name` (`overview`, `service`), if there is one.
    public static func embedded(named name: String) -> String? {
        switch name {
        case "overview": embeddedOverview
        case "service": embeddedService
        default: nil
        }
    }
}
