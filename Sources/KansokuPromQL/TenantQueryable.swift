public import KansokuCore

/// The store as one tenant sees it: only that tenant's series, without `__tenant__`, so
/// aggregation, `by`, `without` and query output never see the label.
public struct TenantQueryable: Queryable {
    public let base: any Queryable
    public let tenant: String

    public init(base: any Queryable, tenant: String) {
        self.base = base
        self.tenant = tenant
    }

    public func selectSeries(matchers: [LabelMatcher], from: Int64, through: Int64) async throws -> [QueryableSeries] {
        visible(try await base.selectSeries(matchers: MetricTenancy.restrict(matchers, to: tenant), from: from, through: through))
    }

    public func selectLatest(matchers: [LabelMatcher], from: Int64, through: Int64) async throws -> [QueryableSeries] {
        visible(try await base.selectLatest(matchers: MetricTenancy.restrict(matchers, to: tenant), from: from, through: through))
    }

    /// Every series found carries the same `__tenant__`, so dropping it keeps label sets
    /// distinct and their order unchanged.
    private func visible(_ found: [QueryableSeries]) -> [QueryableSeries] {
        var found = found
        for i in found.indices { found[i].labels = MetricTenancy.visible(found[i].labels) }
        return found
    }
}

extension PromQLEngine {
    /// This engine (same limits, same concurrency gate) reading `tenant`'s series only.
    public func scoped(to tenant: String) -> PromQLEngine {
        var e = self
        e.queryable = TenantQueryable(base: queryable, tenant: tenant)
        return e
    }
}
