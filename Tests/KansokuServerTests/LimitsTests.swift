import KansokuCore
import KansokuLogStore
@testable import KansokuServer
import Testing

@Suite struct LimitsTests {
    @Test func lokiDefaults() throws {
        let l = try KansokuConfig.parse("").limits
        #expect(l.queryTimeout == PromDuration(milliseconds: 60_000))
        #expect(l.maxQuerySeries == 500)
        #expect(l.maxQueryLength == PromDuration(milliseconds: 721 * 3_600_000))
        #expect(l.maxLineSize == 256_000)
        #expect(l.maxLabelNamesPerSeries == 15 && l.maxLabelNameLength == 1024 && l.maxLabelValueLength == 2048)
        #expect(l.ingestionRateBytes == 4 * 1_048_576 && l.ingestionBurstBytes == 6 * 1_048_576)
        #expect(l.perStreamRateLimit == 3 << 20 && l.perStreamRateLimitBurst == 15 << 20)
    }

    @Test func lokiSpellingsAreRead() throws {
        let c = try KansokuConfig.parse("""
        server: { max_entries_limit: 9000 }
        limits:
          query_timeout: 10m
          max_query_length: 0
          max_line_size: 1MB
          ingestion_rate_mb: 100000
          per_stream_rate_limit: 10GB
          per_stream_rate_limit_burst: 20GB
        """)
        #expect(c.limits.queryTimeout == PromDuration(milliseconds: 600_000))
        #expect(c.limits.maxQueryLength.milliseconds == 0)
        #expect(c.limits.maxLineSize == 1_000_000)
        #expect(c.limits.perStreamRateLimit == 10_000_000_000)
        #expect(c.limits.maxEntriesLimitPerQuery == nil)
        #expect(c.server.maxEntriesLimit == 9000)
        #expect(throws: (any Error).self) { try KansokuConfig.parse("limits: { max_line_size: lots }") }
    }

    @Test func tenantOverridesNameOnlyWhatDiffers() throws {
        let c = try KansokuConfig.parse("""
        limits: { max_query_series: 800, ingestion_rate_mb: 8 }
        overrides:
          cameras: { ingestion_rate_mb: 64, max_entries_limit_per_query: 100 }
          "team.b": { max_query_length: 1h }
        """)
        let limits = c.tenantLimits
        #expect(limits("cameras").ingestionRateMB == 64 && limits("cameras").maxQuerySeries == 800)
        #expect(limits("cameras").maxEntriesLimitPerQuery == 100 && limits("cameras").maxLineSize == 256_000)
        #expect(limits("team.b").maxQueryLength == PromDuration(milliseconds: 3_600_000) && limits("team.b").ingestionRateMB == 8)
        #expect(limits("anyone").ingestionRateMB == 8 && limits("anyone").maxEntriesLimitPerQuery == nil)
        // A misspelt key inside an override is reported with its path, as anywhere else.
        #expect(throws: ConfigError.self) { try KansokuConfig.parse("overrides: { cameras: { ingestion_rate: 64 } }") }
        do {
            _ = try KansokuConfig.parse("overrides: { cameras: { ingestion_rate: 64 } }")
        } catch {
            #expect("\(error)".contains("overrides.cameras.ingestion_rate") && "\(error)".contains("ingestion_rate_mb"))
        }
        // A tenant name Loki would refuse cannot carry an override.
        #expect(throws: (any Error).self) { try KansokuConfig.parse("overrides: { \"a/b\": { max_query_series: 1 } }") }
    }

    @Test func rateLimitsAreEachTenants() {
        var small = LimitsSettings()
        small.ingestionRateMB = 1
        small.ingestionBurstSizeMB = 1
        small.perStreamRateLimit = 100
        small.perStreamRateLimitBurst = 100
        let r = IngestRateLimiter(TenantLimits(defaults: LimitsSettings(), overrides: ["small": small]))
        #expect(!r.allowTenant("small", bytes: (1 << 20) + 1, now: 0))
        #expect(r.allowTenant("other", bytes: 6 << 20, now: 0))
        #expect(!r.allowStream(tenant: "small", labels: Labels(["app": "a"]), bytes: 101, now: 0))
        #expect(r.allowStream(tenant: "other", labels: Labels(["app": "a"]), bytes: 15 << 20, now: 0))
    }

    @Test func pushValidationUsesLokisMessages() {
        var batches = [
            StreamBatch(labels: Labels(["app": "a"]), entries: [LogEntry(timestamp: 1, line: Array(repeating: 0x61, count: 300)),
                                                                 LogEntry(timestamp: 2, line: Array("ok".utf8))]),
            StreamBatch(labels: Labels(Dictionary(uniqueKeysWithValues: (0..<16).map { ("l\($0)", "v") })), entries: [LogEntry(timestamp: 1, line: Array("x".utf8))]),
            StreamBatch(labels: Labels(["app": String(repeating: "v", count: 2049)]), entries: [LogEntry(timestamp: 1, line: Array("x".utf8))]),
        ]
        var limits = LimitsSettings()
        limits.maxLineSize = 100
        let errors = PushLimits(limits).validate(&batches)
        #expect(errors.count == 3)
        #expect(errors[0] == "Max entry size '100' bytes exceeded for stream '{app=\"a\"}' while adding an entry with length '300' bytes")
        #expect(errors[1].hasSuffix("has 16 label names; limit 15"))
        #expect(errors[2].hasPrefix("stream '{app=\"vvvv") && errors[2].contains("has label value too long: 'vvvv"))
        #expect(batches.count == 1 && batches[0].entries.map(\.timestamp) == [2])
    }

    @Test func tokenBucketsRefillAtTheirRate() {
        var limits = LimitsSettings()
        limits.ingestionRateMB = 1
        limits.ingestionBurstSizeMB = 2
        let r = IngestRateLimiter(limits)
        let s: Int64 = 1_000_000_000
        #expect(r.allowTenant("t", bytes: 2 << 20, now: 0))
        #expect(!r.allowTenant("t", bytes: 1, now: 0))
        #expect(!r.allowTenant("t", bytes: (1 << 20) + 1, now: s))
        #expect(r.allowTenant("t", bytes: 1 << 20, now: s))
        #expect(r.allowTenant("other", bytes: 2 << 20, now: s))
        #expect(!r.allowTenant("t", bytes: 3 << 20, now: 100 * s))  // never more than the burst
    }

    /// Streams that pushed once and went quiet do not keep a bucket each: 100,000 of them
    /// leave at most a few thousand tracked, and a drained bucket that has not refilled is kept.
    @Test func quietStreamsLeaveNoBuckets() {
        var quiet = LimitsSettings()
        quiet.perStreamRateLimit = 1000
        quiet.perStreamRateLimitBurst = 1000
        var slow = quiet
        slow.perStreamRateLimit = 1
        let r = IngestRateLimiter(TenantLimits(defaults: quiet, overrides: ["slow": slow]))
        let ms: Int64 = 1_000_000
        #expect(r.allowStream(tenant: "slow", labels: Labels(["camera": "busy"]), bytes: 1000, now: 0))
        for i in 0..<100_000 {
            #expect(r.allowStream(tenant: "t", labels: Labels(["camera": "c\(i)"]), bytes: 10, now: Int64(i + 1) * ms), "stream \(i)")
        }
        #expect(r.trackedStreams <= 2 * IngestRateLimiter.minPruneAt)
        // 100 s at 1 byte/s refilled 100 of the 1,000 bytes: the bucket was kept, and refuses.
        #expect(!r.allowStream(tenant: "slow", labels: Labels(["camera": "busy"]), bytes: 1000, now: 100_001 * ms))
    }

    @Test func goFormatting() {
        #expect(humanizeBytes(3 << 20) == "3.1 MB")
        #expect(humanizeBytes(15 << 20) == "16 MB")
        #expect(humanizeBytes(5) == "5 B")
    }

    @Test func deadlineAnswersLokisTimeout() async throws {
        await #expect(throws: APIError.self) {
            try await withDeadline(PromDuration(milliseconds: 50)) { () async throws -> Int in
                try await Task.sleep(for: .seconds(30))
                return 1
            }
        }
        #expect(try await withDeadline(PromDuration(milliseconds: 5_000)) { 7 } == 7)
    }
}
