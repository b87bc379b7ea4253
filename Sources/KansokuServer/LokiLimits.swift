import Hummingbird
import KansokuCore
import KansokuLogQL
import KansokuLogStore

/// Loki's push validation (`limits_config`): label count and lengths per stream, line size
/// per entry. Invalid streams and entries are removed; the messages are Loki's, word for word.
struct PushLimits {
    let limits: LimitsSettings

    init(_ limits: LimitsSettings) { self.limits = limits }

    /// Drops what breaks a limit from `batches` and returns why, in order.
    func validate(_ batches: inout [StreamBatch]) -> [String] {
        var errors: [String] = []
        var kept: [StreamBatch] = []
        kept.reserveCapacity(batches.count)
        for var b in batches {
            if let e = streamError(b.labels) {
                errors.append(e)
                continue
            }
            if limits.maxLineSize > 0, b.entries.contains(where: { $0.line.count > limits.maxLineSize }) {
                b.entries.removeAll { e in
                    guard e.line.count > limits.maxLineSize else { return false }
                    errors.append("Max entry size '\(limits.maxLineSize)' bytes exceeded for stream '\(b.labels)' while adding an entry with length '\(e.line.count)' bytes")
                    return true
                }
            }
            if !b.entries.isEmpty { kept.append(b) }
        }
        batches = kept
        return errors
    }

    func streamError(_ labels: Labels) -> String? {
        if limits.maxLabelNamesPerSeries > 0, labels.count > limits.maxLabelNamesPerSeries {
            return "entry for stream '\(labels)' has \(labels.count) label names; limit \(limits.maxLabelNamesPerSeries)"
        }
        for l in labels {
            if limits.maxLabelNameLength > 0, l.name.utf8.count > limits.maxLabelNameLength {
                return "stream '\(labels)' has label name too long: '\(l.name)'"
            }
            if limits.maxLabelValueLength > 0, l.value.utf8.count > limits.maxLabelValueLength {
                return "stream '\(labels)' has label value too long: '\(l.value)'"
            }
        }
        return nil
    }
}

extension LokiAPI {
    /// Takes the push from the tenant's token bucket (refusing all of it with 429 when empty),
    /// then each stream's from its own; streams over their rate are removed from `batches`
    /// and the message for the first is returned.
    func admit(_ batches: inout [StreamBatch], tenant: String) throws -> String? {
        let now = TimeParser.currentNanos()
        var lines = 0, bytes = 0
        for b in batches {
            lines += b.entries.count
            for e in b.entries { bytes += e.line.count }
        }
        guard bytes > 0 else { return nil }
        let limits = self.limits(tenant)
        guard rateLimiter.allowTenant(tenant, bytes: bytes, now: now) else {
            throw APIError(.tooManyRequests, .unavailable,
                           "Ingestion rate limit exceeded for user \(tenant) (limit: \(Int(limits.ingestionRateBytes)) bytes/sec) while attempting to ingest '\(lines)' lines totaling '\(bytes)' bytes, reduce log volume or contact your Loki administrator to see if the limit can be increased")
        }
        var limited: String?
        batches.removeAll { b in
            let size = b.entries.reduce(0) { $0 + $1.line.count }
            if rateLimiter.allowStream(tenant: tenant, labels: b.labels, bytes: size, now: now) { return false }
            if limited == nil {
                limited = "Per stream rate limit exceeded (limit: \(humanizeBytes(limits.perStreamRateLimit))/sec) while attempting to ingest for stream '\(b.labels)' totaling \(humanizeBytes(size)), consider splitting a stream via additional labels or contact your Loki administrator to see if the limit can be increased"
            }
            return true
        }
        return limited
    }

    /// Loki's `max_query_length` on `end - start`.
    func checkQueryLength(_ length: Int64, tenant: String) throws {
        let limit = limits(tenant).maxQueryLength.nanoseconds
        guard limit > 0, length > limit else { return }
        throw APIError.badRequest("the query time range exceeds the limit (query length: \(GoDuration.format(length)), limit: \(GoDuration.format(limit)))")
    }

    /// Range vectors longer than `max_query_length` are refused before anything is read.
    func checkRanges(_ query: String, tenant: String) throws {
        guard limits(tenant).maxQueryLength.nanoseconds > 0, let expr = try? LogQLParser.parse(query) else { return }
        try checkQueryLength(expr.longestRange, tenant: tenant)
    }
}

/// Runs `body`, cancelling it and answering Loki's 504 once `timeout` passes; a zero timeout
/// means none.
func withDeadline<T: Sendable>(_ timeout: PromDuration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    guard timeout.milliseconds > 0 else { return try await body() }
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(timeout.milliseconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw APIError.timedOut }
        return value
    }
}
