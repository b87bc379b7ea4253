public import KansokuCore
public import KansokuLogQL
public import KansokuMetricStore
public import KansokuPromQL
import Synchronization

/// The rule engine's queries run by Kansoku's engines: PromQL over the metric store, LogQL
/// over the log store (either may be absent; rules in a missing language fail with a clear
/// error). Parsed PromQL expressions are cached, since rules repeat the same text each cycle.
public final class KansokuRuleQueryEngine: RuleQueryEngine {
    public let promql: PromQLEngine?
    public let logql: LogQLEngine?
    /// Log tenant of LogQL rules (`fake` when tenancy is off, as Loki does).
    public let tenant: String
    private let parsed = Mutex<[String: PromQLExpr]>([:])

    public init(promql: PromQLEngine?, logql: LogQLEngine?, tenant: String = "fake") {
        self.promql = promql
        self.logql = logql
        self.tenant = tenant
    }

    private func promExpr(_ q: String) throws(RuleEvaluationError) -> PromQLExpr {
        if let e = parsed.withLock({ $0[q] }) { return e }
        do throws(PromQLError) {
            let e = try PromQLParser.parse(q)
            parsed.withLock { cache in
                if cache.count > 100_000 { cache.removeAll() }
                cache[q] = e
            }
            return e
        } catch {
            throw .query(error.description)
        }
    }

    public func instant(_ expr: String, language: QueryLanguage, at: Int64) async throws(RuleEvaluationError) -> [RuleSample] {
        switch language {
        case .promql:
            guard let promql else { throw .languageUnavailable(.promql) }
            let e = try promExpr(expr)
            let result: PromQLResult
            do throws(PromQLError) { result = try await promql.evaluateInstant(e, at: at) } catch { throw .query(error.description) }
            switch result.value {
            case .vector(let v): return v.map { RuleSample(labels: $0.labels, value: $0.v) }
            case .scalar(_, let v): return [RuleSample(labels: Labels(), value: v)]
            default: throw .resultType("rule expressions must return an instant vector or a scalar, got \(result.value.resultType)")
            }
        case .logql:
            guard let logql else { throw .languageUnavailable(.logql) }
            let result: LogQLResult
            do throws(LogQLError) { result = try await logql.queryInstant(expr, tenant: tenant, time: at * 1_000_000) } catch { throw .query(error.description) }
            switch result.data {
            case .vector(let v): return v.map { RuleSample(labels: $0.labels, value: $0.value) }
            case .scalar(_, let v): return [RuleSample(labels: Labels(), value: v)]
            default: throw .resultType("rule expressions must be LogQL metric queries, got \(result.data.resultType)")
            }
        }
    }

    public func range(_ expr: String, language: QueryLanguage, start: Int64, end: Int64, step: Int64) async throws(RuleEvaluationError) -> [RuleSeries] {
        switch language {
        case .promql:
            guard let promql else { throw .languageUnavailable(.promql) }
            let e = try promExpr(expr)
            let result: PromQLResult
            do throws(PromQLError) { result = try await promql.evaluateRange(e, start: start, end: end, step: step) } catch { throw .query(error.description) }
            switch result.value {
            case .matrix(let m): return m.map { RuleSeries(labels: $0.labels, timestamps: $0.points.map(\.t), values: $0.points.map(\.v)) }
            default: throw .resultType("expected a matrix, got \(result.value.resultType)")
            }
        case .logql:
            guard let logql else { throw .languageUnavailable(.logql) }
            let result: LogQLResult
            do throws(LogQLError) {
                result = try await logql.queryRange(expr, tenant: tenant, start: start * 1_000_000, end: end * 1_000_000, step: step * 1_000_000)
            } catch { throw .query(error.description) }
            switch result.data {
            case .matrix(let m):
                return m.map { RuleSeries(labels: $0.labels, timestamps: $0.points.map { $0.timestamp / 1_000_000 }, values: $0.points.map(\.value)) }
            default: throw .resultType("expected a matrix, got \(result.data.resultType)")
            }
        }
    }
}

/// Rule results appended to the metric store (durable when `write` returns), and read back
/// from it on restart.
public struct MetricStoreRuleWriter: RuleSampleWriter {
    public let store: MetricStore

    public init(store: MetricStore) { self.store = store }

    public func write(_ samples: [(labels: Labels, t: Int64, v: Double)]) async throws {
        guard !samples.isEmpty else { return }
        _ = try await store.append(samples)
    }

    public func read(matchers: [LabelMatcher], from: Int64, through: Int64) async throws -> [RuleSeries] {
        store.select(matchers: matchers, from: from, through: through).map {
            RuleSeries(labels: $0.labels, timestamps: $0.samples.map(\.t), values: $0.samples.map(\.v))
        }
    }
}
