import CZstd

/// Match-finder parameters for a `ZstdCompressor`: every frame starts with fresh tables, so
/// for small frames smaller tables (that reset cheaply and stay in L2) lose nothing.
public struct ZstdTuning: Sendable {
    public var hashLog: Int32
    public var chainLog: Int32
    public var minMatch: Int32

    public init(hashLog: Int32, chainLog: Int32, minMatch: Int32) {
        self.hashLog = hashLog
        self.chainLog = chainLog
        self.minMatch = minMatch
    }

    /// Log blocks (256 KiB of text): a minimum match of 6 suits words and repeated fields.
    public static let textBlocks = ZstdTuning(hashLog: 15, chainLog: 14, minMatch: 6)
}

/// A reusable zstd compression context (one user at a time; callers pool them).
public final class ZstdCompressor {
    private let cctx: OpaquePointer
    public let level: Int32
    let tuning: ZstdTuning
    private var scratch = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    public init?(level: Int32, tuning: ZstdTuning = .textBlocks) {
        guard let c = ZSTD_createCCtx() else { return nil }
        cctx = c
        self.level = level
        self.tuning = tuning
        ZstdCompressor.tune(level: level, tuning) { ZSTD_CCtx_setParameter(c, $0, $1) }
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0)
    }

    /// The compression parameters of frames and of the dictionaries they are compressed with
    /// (a dictionary's parameters supersede the context's).
    static func tune(level: Int32, _ tuning: ZstdTuning, _ set: (ZSTD_cParameter, Int32) -> Void) {
        set(ZSTD_c_compressionLevel, level)
        set(ZSTD_c_hashLog, tuning.hashLog)
        set(ZSTD_c_chainLog, tuning.chainLog)
        set(ZSTD_c_minMatch, tuning.minMatch)
    }

    deinit {
        ZSTD_freeCCtx(cctx)
        scratch.deallocate()
    }

    /// Compresses `src` into an exactly sized array (the worst-case buffer is reused), with
    /// `dictionary` when given. Returns nil if zstd fails.
    public func compress(_ src: UnsafeRawBufferPointer, dictionary: ZstdDictionary? = nil) -> [UInt8]? {
        let bound = ZSTD_compressBound(src.count)
        if scratch.count < bound {
            scratch.deallocate()
            scratch = .allocate(byteCount: bound, alignment: 16)
        }
        ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only)
        // Referencing nil returns the context to no-dictionary mode.
        guard ZSTD_isError(ZSTD_CCtx_refCDict(cctx, dictionary?.cdict)) == 0 else { return nil }
        let r = ZSTD_compress2(cctx, scratch.baseAddress, scratch.count, src.baseAddress, src.count)
        guard ZSTD_isError(r) == 0 else { return nil }
        return Array(UnsafeRawBufferPointer(rebasing: scratch[0..<r]))
    }
}

/// Raw content digested once into zstd's match tables, for compressing many frames that
/// may reference it. A raw-content dictionary is exactly a prefix: frames decode with the
/// same bytes given as prefix. Read-only once built, so threads share it (zstd documents
/// concurrent use of one CDict as safe).
public final class ZstdDictionary: @unchecked Sendable {
    let cdict: OpaquePointer
    /// The content, when the dictionary references it instead of holding a copy.
    private let referenced: ZstdContent?

    /// A dictionary holding its own copy of `content`.
    public init?(_ content: UnsafeRawBufferPointer, level: Int32, tuning: ZstdTuning = .textBlocks) {
        guard let d = Self.digest(content, level: level, tuning: tuning, mode: ZSTD_dlm_byCopy) else { return nil }
        cdict = d
        referenced = nil
    }

    /// A dictionary that references `content` (kept alive with it) instead of copying it.
    public init?(referencing content: ZstdContent, level: Int32, tuning: ZstdTuning = .textBlocks) {
        guard let d = Self.digest(content.bytes, level: level, tuning: tuning, mode: ZSTD_dlm_byRef) else { return nil }
        cdict = d
        referenced = content
    }

    private static func digest(_ content: UnsafeRawBufferPointer, level: Int32, tuning: ZstdTuning, mode: ZSTD_dictLoadMethod_e) -> OpaquePointer? {
        guard let params = ZSTD_createCCtxParams() else { return nil }
        defer { ZSTD_freeCCtxParams(params) }
        ZstdCompressor.tune(level: level, tuning) { ZSTD_CCtxParams_setParameter(params, $0, $1) }
        return ZSTD_createCDict_advanced2(content.baseAddress, content.count, mode, ZSTD_dct_rawContent,
                                          params, ZSTD_customMem(customAlloc: nil, customFree: nil, opaque: nil))
    }

    deinit { ZSTD_freeCDict(cdict) }
}

/// Bytes at a fixed address for as long as the object lives: content a dictionary may
/// reference, and frames may be decoded against, without copies.
public final class ZstdContent: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer
    /// The content (immutable).
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(storage) }

    public init(copying source: UnsafeRawBufferPointer) {
        storage = .allocate(byteCount: source.count, alignment: 16)
        if source.count > 0 { storage.copyMemory(from: source) }
    }

    deinit { storage.deallocate() }
}

/// A reusable zstd decompression context (one user at a time; callers pool them).
public final class ZstdDecompressor {
    private let dctx: OpaquePointer

    public init?() {
        guard let d = ZSTD_createDCtx() else { return nil }
        dctx = d
    }

    deinit { ZSTD_freeDCtx(dctx) }

    /// Decompresses `src` into exactly `size` bytes (a size the caller recorded beside the
    /// frame), with `prefix` as raw-content dictionary when given. Nil when the frame is
    /// invalid or decodes to another size.
    public func decompress(_ src: UnsafeRawBufferPointer, size: Int, prefix: UnsafeRawBufferPointer? = nil) -> [UInt8]? {
        var ok = false
        // zstd writes every byte it reports, so the array need not be zeroed first.
        let out = [UInt8](unsafeUninitializedCapacity: size) { dst, initialized in
            ok = decompress(src, into: UnsafeMutableRawBufferPointer(dst), prefix: prefix) == size
            initialized = ok ? size : 0
        }
        return ok ? out : nil
    }

    /// Decompresses `src` into the start of `dst`; the number of bytes written, or nil when
    /// the frame is invalid or does not fit.
    public func decompress(_ src: UnsafeRawBufferPointer, into dst: UnsafeMutableRawBufferPointer, prefix: UnsafeRawBufferPointer? = nil) -> Int? {
        if let prefix, prefix.count > 0 {
            let r = ZSTD_DCtx_refPrefix(dctx, prefix.baseAddress, prefix.count)
            if ZSTD_isError(r) != 0 { return nil }
        }
        let r = ZSTD_decompressDCtx(dctx, dst.baseAddress, dst.count, src.baseAddress, src.count)
        return ZSTD_isError(r) != 0 ? nil : r
    }
}
