/// Metric tenancy, as label-enforcing proxies (prom-label-proxy, Cortex) do it: every series
/// written on behalf of a tenant carries the hidden label `__tenant__`, every read adds the
/// matcher `__tenant__="T"` and strips the label from what it returns.
public enum MetricTenancy {
    /// The hidden label naming a series' tenant.
    public static let label = "__tenant__"

    /// `labels` as stored for `tenant`: a `__tenant__` the writer sent is replaced, so a
    /// writer cannot write into another tenant.
    public static func labels(_ labels: Labels, tenant: String) -> Labels {
        labels.setting(label, to: tenant)
    }

    /// The matcher every read for `tenant` is ANDed with.
    public static func matcher(_ tenant: String) -> LabelMatcher {
        // An equality matcher compiles no regex, so it cannot fail.
        try! LabelMatcher(name: label, type: .equal, value: tenant)
    }

    /// `matchers` restricted to `tenant`: a user's own matcher on `__tenant__` stays and is
    /// ANDed with the enforced one, so it can narrow the answer but never widen it.
    public static func restrict(_ matchers: [LabelMatcher], to tenant: String) -> [LabelMatcher] {
        matchers + [matcher(tenant)]
    }

    /// `labels` as a tenant sees them: without `__tenant__`.
    public static func visible(_ labels: Labels) -> Labels {
        labels[label] == nil ? labels : labels.removing([label])
    }
}
