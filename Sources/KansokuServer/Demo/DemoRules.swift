/// The SLOs and alert rules `kansoku demo` evaluates, embedded so the demo needs no files.
/// They cover the simulated streaming service from both sides: its nginx access log (a LogQL
/// SLI) and its Prometheus metrics.
enum DemoRules {
    static let slos = #"""
    version: "prometheus/v1"
    service: "streaming"
    labels:
      team: video-platform
    slos:
      - name: "playback-availability"
        objective: 99.5
        description: "Playback requests answered without a 5xx, measured from the nginx access log."
        sli:
          logql:
            error_query: sum(count_over_time({app="nginx", service="streaming"} |~ `" 5\d\d ` [{{.window}}]))
            total_query: sum(count_over_time({app="nginx", service="streaming"} [{{.window}}]))
        alerting:
          name: StreamingPlaybackAvailability
          labels:
            category: availability
          annotations:
            summary: "Streaming playback is failing: {{$labels.sloth_slo}} burns its error budget"
            runbook: "kansoku tui, Enter on the SLO: the log patterns behind the burn"
          page_alert:
            labels:
              severity: page
          ticket_alert:
            labels:
              severity: ticket
      - name: "requests-availability"
        objective: 99.5
        description: "HTTP requests without a 5xx, from the service's own metrics."
        sli:
          events:
            error_query: sum(rate(http_requests_total{service="streaming",code=~"5.."}[{{.window}}]))
            total_query: sum(rate(http_requests_total{service="streaming"}[{{.window}}]))
        alerting:
          name: StreamingRequestsAvailability
          labels:
            category: availability
          annotations:
            summary: "Streaming requests are failing"
          page_alert:
            labels:
              severity: page
          ticket_alert:
            labels:
              severity: ticket
      - name: "requests-latency"
        objective: 99
        description: "Requests served within one second."
        sli:
          events:
            error_query: (sum(rate(http_request_duration_seconds_count{service="streaming"}[{{.window}}])) - sum(rate(http_request_duration_seconds_bucket{service="streaming",le="1"}[{{.window}}])))
            total_query: sum(rate(http_request_duration_seconds_count{service="streaming"}[{{.window}}]))
        alerting:
          name: StreamingLatency
          labels:
            category: latency
          annotations:
            summary: "Streaming requests are slow"
          page_alert:
            labels:
              severity: page
          ticket_alert:
            labels:
              severity: ticket
    """#

    static let alerts = #"""
    groups:
      - name: streaming-logs
        interval: 15s
        rules:
          - alert: StreamingOriginErrors
            expr: sum by (app) (count_over_time({app="streaming-api"} |= "ERROR" [1m])) > 10
            for: 30s
            labels:
              severity: warning
              service: streaming
            annotations:
              summary: "{{ $value }} application errors a minute in {{ $labels.app }}"
      - name: streaming-metrics
        interval: 15s
        rules:
          - record: service:http_requests:rate1m
            expr: sum by (service, code) (rate(http_requests_total[1m]))
          - alert: StreamingTargetDown
            expr: up{job="streaming"} == 0
            for: 1m
            labels:
              severity: page
              service: streaming
            annotations:
              summary: "The streaming service cannot be scraped"
    """#
}
