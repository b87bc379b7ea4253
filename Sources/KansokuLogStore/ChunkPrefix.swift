import Synchronization
import KansokuCore

/// A chunk's first block, which every later block of the chunk is compressed against (see
/// FORMAT.md, "Chunk prefix"): its payload, and, once a later block needs it, that payload
/// digested as a zstd dictionary. Digesting once per chunk, rather than loading the 256 KiB
/// prefix into the match tables again for every block, roughly halves the compression work
/// of later blocks; the frames are the same a prefix would give. The dictionary references
/// the payload rather than copying it, and only the payload is kept (not the decoded block):
/// an open chunk of every stream holds one, so each copy is paid once per stream.
final class ChunkPrefix: Sendable {
    let payload: ZstdContent
    private let digested = Mutex<ZstdDictionary?>(nil)

    init(_ block: DecodedBlock) {
        payload = BlockCodec.payload(of: block).withUnsafeBytes { ZstdContent(copying: $0) }
    }

    /// The digested payload, built by the first caller (others wait: they need it too).
    func dictionary(level: Int32) -> ZstdDictionary? {
        digested.withLock { cached in
            if let cached { return cached }
            cached = ZstdDictionary(referencing: payload, level: level)
            return cached
        }
    }
}
