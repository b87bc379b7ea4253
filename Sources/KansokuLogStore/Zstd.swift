import CZstd

/// A reusable zstd compression context (one user at a time; pooled by `BlockCodecPool`).
final class ZstdCompressor {
    private let cctx: OpaquePointer
    let level: Int32

    init?(level: Int32) {
        guard let c = ZSTD_createCCtx() else { return nil }
        cctx = c
        self.level = level
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 0)
    }

    deinit {
        ZSTD_freeCCtx(cctx)
        scratch.deallocate()
    }

    private var scratch = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    /// Compresses `src`, with the chunk dictionary when given, into an exactly sized array
    /// (the worst-case buffer is reused). Returns nil if zstd fails.
    func compress(_ src: UnsafeRawBufferPointer, dictionary: ZstdDictionary?) -> [UInt8]? {
        let bound = ZSTD_compressBound(src.count)
        if scratch.count < bound {
            scratch.deallocate()
            scratch = .allocate(byteCount: bound, alignment: 16)
        }
        let r: Int
        if let dictionary {
            r = ZSTD_compress_usingCDict(cctx, scratch.baseAddress, scratch.count, src.baseAddress, src.count, dictionary.cdict)
        } else {
            r = ZSTD_compress2(cctx, scratch.baseAddress, scratch.count, src.baseAddress, src.count)
        }
        guard ZSTD_isError(r) == 0 else { return nil }
        return Array(UnsafeRawBufferPointer(rebasing: scratch[0..<r]))
    }
}

/// The digested form of a chunk's first block, used as a raw-content dictionary for the
/// chunk's later blocks. Immutable after creation, so shared across threads.
final class ZstdDictionary: @unchecked Sendable {
    let cdict: OpaquePointer

    /// Nil when zstd cannot use `content` as raw content (it must not start with the
    /// dictionary magic, or zstd would parse it as a trained dictionary).
    init?(content: UnsafeRawBufferPointer, level: Int32) {
        guard !ZstdDictionary.looksLikeTrainedDictionary(content), content.count > 0,
              let d = ZSTD_createCDict(content.baseAddress, content.count, level) else { return nil }
        cdict = d
    }

    deinit { ZSTD_freeCDict(cdict) }

    static func looksLikeTrainedDictionary(_ content: UnsafeRawBufferPointer) -> Bool {
        content.count >= 4 && content[0] == 0x37 && content[1] == 0xA4 && content[2] == 0x30 && content[3] == 0xEC
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
