import KansokuCore
import Synchronization

/// zstd for WAL record payloads, as Prometheus compresses its WAL (it uses snappy; zstd's
/// fastest level costs about as much per byte here and shrinks log lines three times more).
/// A small pool of contexts, one per concurrent appender, like `BlockCodec`'s.
final class WALCompression: Sendable {
    /// Payloads shorter than this stay raw: a frame header would eat what zstd saves.
    static let minimumPayload = 512
    /// The largest payload a compressed record may declare; a larger claim is corruption,
    /// refused before anything is allocated.
    static let maximumPayload = 1 << 30
    static let level: Int32 = 1

    private let compressors = Mutex<[PooledCompressor]>([])

    /// Compresses `payload`; nil when zstd fails or saves nothing worth a frame.
    func compress(_ payload: UnsafeRawBufferPointer) -> [UInt8]? {
        guard payload.count >= WALCompression.minimumPayload else { return nil }
        guard let pooled = compressors.withLock({ $0.popLast() }) ?? PooledCompressor() else { return nil }
        defer { compressors.withLock { $0.append(pooled) } }
        guard let out = pooled.zstd.compress(payload, dictionary: nil), out.count + 16 < payload.count else { return nil }
        return out
    }
}

/// A context the pool hands to one thread at a time.
private final class PooledCompressor: @unchecked Sendable {
    let zstd: ZstdCompressor

    init?() {
        guard let z = ZstdCompressor(level: WALCompression.level) else { return nil }
        zstd = z
    }
}
