import KansokuCore
import KansokuPromQL

extension PromQLEngine {
    /// An instant query (time in ms) as the shape the API and CLI print.
    func instantQueryModel(_ q: String, at t: Int64) async throws -> QueryResultModel {
        let result: PromQLResult
        do { result = try await instantQueryResult(q, at: t) } catch { throw PrometheusAPI.classify(error) }
        return Self.model(result.value)
    }

    /// A range query (times in ms) as the shape the API and CLI print.
    func rangeQueryModel(_ q: String, start: Int64, end: Int64, step: Int64) async throws -> QueryResultModel {
        let result: PromQLResult
        do { result = try await rangeQueryResult(q, start: start, end: end, step: step) } catch { throw PrometheusAPI.classify(error) }
        return Self.model(result.value)
    }

    static func model(_ v: PromQLValue) -> QueryResultModel {
        switch v {
        case .vector(let samples):
            return .vector(samples.map { .init(labels: $0.labels, points: [.init(timestampMillis: $0.t, value: $0.v)]) })
        case .matrix(let series):
            return .matrix(series.map { .init(labels: $0.labels, points: $0.points.map { .init(timestampMillis: $0.t, value: $0.v) }) })
        case .scalar(let t, let v):
            return .scalar(.init(timestampMillis: t, value: v))
        case .string(let t, let s):
            return .string(t, s)
        }
    }
}
