import KansokuCore
import Synchronization

/// A token bucket: `rate` bytes per second refill it up to `burst`; a push takes what it
/// carries or is refused whole (as Loki's rate limiters do, nothing is taken on refusal).
struct TokenBucket: Sendable {
    var tokens: Double
    var last: Int64

    init(burst: Double, now: Int64) {
        tokens = burst
        last = now
    }

    mutating func allow(_ n: Double, rate: Double, burst: Double, now: Int64) -> Bool {
        if now > last {
            tokens = min(burst, tokens + rate * Double(now - last) / 1e9)
            last = now
        }
        guard n <= tokens else { return false }
        tokens -= n
        return true
    }

    func isFull(rate: Double, burst: Double, now: Int64) -> Bool {
        tokens + rate * Double(max(0, now - last)) / 1e9 >= burst
    }
}

/// Loki's two ingestion limits: a bucket per tenant (`ingestion_rate_mb`,
/// `ingestion_burst_size_mb`) and one per stream (`per_stream_rate_limit`,
/// `per_stream_rate_limit_burst`), each at the tenant's own limits. A rate of 0 disables a
/// limit.
final class IngestRateLimiter: Sendable {
    let limits: TenantLimits
    private let tenants = Mutex<[String: TokenBucket]>([:])
    /// The buckets, and how many may be tracked before the next pruning pass.
    private let streams = Mutex<(buckets: [StreamKey: TokenBucket], pruneAt: Int)>(([:], IngestRateLimiter.minPruneAt))

    struct StreamKey: Hashable, Sendable {
        var tenant: String
        var labels: Labels
    }

    /// Past this many tracked streams (or twice as many as the last pass kept), buckets that
    /// have refilled completely are dropped: a full bucket is what a new one would be, so
    /// forgetting it changes no answer. A bucket refills in moments at any real rate, so the
    /// map stays near the number of streams pushing right now, not every stream ever pushed
    /// (each would hold a copy of its labels), and each pass is paid for by the insertions
    /// before it.
    static let minPruneAt = 4096

    init(_ limits: TenantLimits) { self.limits = limits }

    init(_ limits: LimitsSettings) { self.limits = TenantLimits(defaults: limits) }

    /// Takes `bytes` from the tenant's bucket.
    func allowTenant(_ tenant: String, bytes: Int, now: Int64) -> Bool {
        let l = limits(tenant)
        let (tenantRate, tenantBurst) = (l.ingestionRateBytes, l.ingestionBurstBytes)
        guard tenantRate > 0 else { return true }
        return tenants.withLock { buckets in
            var b = buckets[tenant] ?? TokenBucket(burst: tenantBurst, now: now)
            let ok = b.allow(Double(bytes), rate: tenantRate, burst: tenantBurst, now: now)
            buckets[tenant] = b
            return ok
        }
    }

    /// Streams with a bucket held right now.
    var trackedStreams: Int { streams.withLock { $0.buckets.count } }

    /// Takes `bytes` from the stream's bucket.
    func allowStream(tenant: String, labels: Labels, bytes: Int, now: Int64) -> Bool {
        let l = limits(tenant)
        let (streamRate, streamBurst) = (Double(l.perStreamRateLimit), Double(l.perStreamRateLimitBurst))
        guard streamRate > 0 else { return true }
        let key = StreamKey(tenant: tenant, labels: labels)
        return streams.withLock { s in
            if s.buckets.count > s.pruneAt {
                s.buckets = s.buckets.filter { key, bucket in
                    let l = limits(key.tenant)
                    return !bucket.isFull(rate: Double(l.perStreamRateLimit), burst: Double(l.perStreamRateLimitBurst), now: now)
                }
                s.pruneAt = max(Self.minPruneAt, 2 * s.buckets.count)
            }
            var b = s.buckets[key] ?? TokenBucket(burst: streamBurst, now: now)
            let ok = b.allow(Double(bytes), rate: streamRate, burst: streamBurst, now: now)
            s.buckets[key] = b
            return ok
        }
    }
}

/// go-humanize's `Bytes`, which Loki's messages use for sizes: SI units with a space, one
/// decimal below 10 (`3.1 MB`).
func humanizeBytes(_ n: Int) -> String {
    if n < 10 { return "\(n) B" }
    let units = ["B", "kB", "MB", "GB", "TB", "PB", "EB"]
    var v = Double(n)
    var i = 0
    while v >= 1000, i < units.count - 1 { v /= 1000; i += 1 }
    // humanize rounds to a tenth, then prints one decimal only below 10.
    let r = (v * 10).rounded() / 10
    if r < 10 {
        let tenths = Int((r * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[i])"
    }
    return "\(Int(v.rounded())) \(units[i])"
}
