public import KansokuCore
public import KansokuLogQL
public import KansokuPromQL

/// With tenancy on, how a rule group acts as its tenant: the queries it runs and the writer
/// its results go through.
public protocol RuleTenantScope: Sendable {
    /// The tenant of groups (and SLOs) that name none.
    var defaultTenant: String { get }
    func engine(for tenant: String) -> any RuleQueryEngine
    func writer(for tenant: String) -> any RuleSampleWriter
}

/// Kansoku's engines as one tenant: LogQL over the tenant's streams, PromQL over the tenant's
/// series only (`TenantQueryable`), results written with `__tenant__` (`MetricTenancy`).
public struct KansokuRuleTenants: RuleTenantScope {
    public let promql: PromQLEngine?
    public let logql: LogQLEngine?
    public let writer: any RuleSampleWriter
    public let defaultTenant: String

    public init(promql: PromQLEngine?, logql: LogQLEngine?, writer: any RuleSampleWriter, defaultTenant: String) {
        self.promql = promql
        self.logql = logql
        self.writer = writer
        self.defaultTenant = defaultTenant
    }

    public func engine(for tenant: String) -> any RuleQueryEngine {
        KansokuRuleQueryEngine(promql: promql?.scoped(to: tenant), logql: logql, tenant: tenant)
    }

    public func writer(for tenant: String) -> any RuleSampleWriter {
        TenantRuleWriter(base: writer, tenant: tenant)
    }
}

/// A writer for one tenant: samples are stored with its `__tenant__`, and reads (alert `for`
/// state, SLO windows after a restart) see its series only, without the label.
public struct TenantRuleWriter: RuleSampleWriter {
    public let base: any RuleSampleWriter
    public let tenant: String

    public init(base: any RuleSampleWriter, tenant: String) {
        self.base = base
        self.tenant = tenant
    }

    public func write(_ samples: [(labels: Labels, t: Int64, v: Double)]) async throws {
        try await base.write(samples.map { (MetricTenancy.labels($0.labels, tenant: tenant), $0.t, $0.v) })
    }

    public func read(matchers: [LabelMatcher], from: Int64, through: Int64) async throws -> [RuleSeries] {
        var found = try await base.read(matchers: MetricTenancy.restrict(matchers, to: tenant), from: from, through: through)
        for i in found.indices { found[i].labels = MetricTenancy.visible(found[i].labels) }
        return found
    }
}
