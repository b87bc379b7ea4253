import CZstd

/// A reusable zstd compression context (one user at a time; pooled by `BlockCodec`).
///
/// Blocks are small (256 KiB) and each starts a fresh frame, so the match tables are reset
/// for every block: smaller tables (hashLog 15, chainLog 14) make that reset cheap and stay in
/// L2, and a minimum match of 6 suits log text. The chunk's first block is referenced as a
/// raw-content prefix, which costs less than digesting a dictionary object per chunk.
final class ZstdCompressor {
    private let cctx: OpaquePointer
    let level: Int32
    private var scratch = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    init?(level: Int32) {
        guard let c = ZSTD_createCCtx() else { return nil }
        cctx = c
        self.level = level
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_hashLog, 15)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_chainLog, 14)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_minMatch, 6)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0)
    }

    deinit {
        ZSTD_freeCCtx(cctx)
        scratch.deallocate()
    }

    /// Compresses `src` into an exactly sized array (the worst-case buffer is reused), with
    /// `prefix` as raw-content dictionary when given. Returns nil if zstd fails.
    func compress(_ src: UnsafeRawBufferPointer, prefix: UnsafeRawBufferPointer?) -> [UInt8]? {
        let bound = ZSTD_compressBound(src.count)
        if scratch.count < bound {
            scratch.deallocate()
            scratch = .allocate(byteCount: bound, alignment: 16)
        }
        ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only)
        if let prefix, prefix.count > 0 {
            guard ZSTD_isError(ZSTD_CCtx_refPrefix(cctx, prefix.baseAddress, prefix.count)) == 0 else { return nil }
        }
        let r = ZSTD_compress2(cctx, scratch.baseAddress, scratch.count, src.baseAddress, src.count)
        guard ZSTD_isError(r) == 0 else { return nil }
        return Array(UnsafeRawBufferPointer(rebasing: scratch[0..<r]))
    }
}

/// A reusable zstd decompression context.
final class ZstdDecompressor {
    private let dctx: OpaquePointer

    init?() {
        guard let d = ZSTD_createDCtx() else { return nil }
        dctx = d
    }

    deinit { ZSTD_freeDCtx(dctx) }

    /// Decompresses `src` into exactly `size` bytes (the size recorded in the block meta), with
    /// `prefix` as raw-content dictionary when given. Nil when the frame is invalid.
    func decompress(_ src: UnsafeRawBufferPointer, size: Int, prefix: UnsafeRawBufferPointer?) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: size)
        let got: Int = out.withUnsafeMutableBytes { dst in
            if let prefix, prefix.count > 0 {
                let r = ZSTD_DCtx_refPrefix(dctx, prefix.baseAddress, prefix.count)
                if ZSTD_isError(r) != 0 { return -1 }
            }
            let r = ZSTD_decompressDCtx(dctx, dst.baseAddress, dst.count, src.baseAddress, src.count)
            return ZSTD_isError(r) != 0 ? -1 : r
        }
        guard got == size else { return nil }
        return out
    }
}
