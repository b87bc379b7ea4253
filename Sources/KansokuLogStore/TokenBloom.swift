/// A per-block filter of 4-byte grams inside tokens, so `|= "needle"` skips blocks without
/// decompressing them. Tokens are runs of ASCII letters, digits, `_` and non-ASCII bytes;
/// ASCII letters are lowercased, so case-insensitive searches use it too.
///
/// Keys are the all-token grams that start at an even offset of the block's line bytes, plus
/// the first gram of every token (the gram after a separator): about half the work and bits
/// of indexing every gram, yet still exact. A literal found at offset q has all its grams at
/// literal offsets of q's parity indexed, so a reader checks both parities and says "no"
/// only when each misses a gram; the first gram of every token that starts inside the literal
/// is indexed whatever its parity, so a short distinctive token (`user=1234`) still decides.
/// One hash per key and ~2 bits per distinct key (sized from a linear-counting estimate) keep
/// it a few percent of a compressed block.
struct TokenBloom: Sendable, Hashable {
    static let bitsPerKey = 2.0

    /// Which grams were keys; stored in bit 1 of the block's flags.
    enum Keying: Sendable, Hashable {
        /// Even offsets of the block's line bytes and token starts (bit 1 set).
        case blockOffsets
        /// Even offsets inside each token, runs restarting at every line (bit 1 clear: the
        /// first format; still read).
        case tokenOffsets
    }

    var words: [UInt64]
    var keying: Keying = .blockOffsets
    /// The filter partitions whose bits `words` holds, when only some were fetched (see
    /// `FilterPartitions`); nil when all are. A key in another partition counts as present.
    var known: PartitionMask?

    var bitCount: Int { words.count * 64 }
    var byteSize: Int { words.count * 8 }

    @inline(__always) static func hash(_ gram: UInt32) -> UInt32 { (gram ^ 0x5BD1_E995) &* 0x9E37_79B1 }

    /// Multiplicative hash of the gram, mapped onto `bits` by multiply-shift (no division).
    @inline(__always) static func slot(_ gram: UInt32, bits: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(hash(gram)) &* UInt64(bits)) >> 32)
    }

    /// The partition of a key's bit in any filter whose bit count is a multiple of 256: with
    /// multiply-shift, `slot / (bits / 256)` is the hash's top byte, whatever `bits` is.
    @inline(__always) static func partition(_ gram: UInt32) -> Int { Int(hash(gram) >> 24) }

    @inline(__always) func has(_ gram: UInt32, _ w: UnsafeBufferPointer<UInt64>, bits: Int) -> Bool {
        if let known, !known.contains(TokenBloom.partition(gram)) { return true }
        let s = TokenBloom.slot(gram, bits: bits)
        return w[s >> 6] & (1 << UInt64(s & 63)) != 0
    }

    /// The same filter at four times the bits, for partitioning a filter whose word count is
    /// not a multiple of 4: a key's slot at `4 × bits` is one of `4s ... 4s + 3` where `s` is
    /// its slot at `bits`, so setting all four keeps every key present.
    func quadrupled() -> TokenBloom {
        var out = [UInt64](repeating: 0, count: words.count * 4)
        for s in 0..<bitCount where words[s >> 6] & (1 << UInt64(s & 63)) != 0 {
            out[s >> 4] |= 0xF << UInt64((s & 15) * 4)
        }
        return TokenBloom(words: out, keying: keying, known: known)
    }

    /// Whether the block may contain `literal`; true when unsure (no checkable gram).
    func mayContain(_ literal: UnsafeRawBufferPointer, caseInsensitive: Bool) -> Bool {
        guard bitCount > 0 else { return true }
        switch keying {
        case .blockOffsets: return mayContainAtBlockOffsets(literal, caseInsensitive: caseInsensitive)
        case .tokenOffsets: return mayContainAtTokenOffsets(literal, caseInsensitive: caseInsensitive)
        }
    }

    private func mayContainAtBlockOffsets(_ literal: UnsafeRawBufferPointer, caseInsensitive: Bool) -> Bool {
        let bits = bitCount
        return words.withUnsafeBufferPointer { w in
            TokenGrams.classes.withUnsafeBufferPointer { cls in
                var window: UInt64 = 0
                var lastNonASCII = -8
                var evenOK = true, oddOK = true
                for i in 0..<literal.count {
                    let c = cls[Int(literal[i])]
                    if c >= 0x80 { lastNonASCII = i }
                    window = (window << 8) | UInt64(c)
                    let gram = UInt32(truncatingIfNeeded: window)
                    guard i >= 3, TokenGrams.isKey(gram) else { continue }
                    // Non-ASCII bytes have no case folding here: such grams prove nothing for (?i).
                    if caseInsensitive && lastNonASCII > i - 4 { continue }
                    // A token starting inside the literal: its first gram is a key at any offset.
                    if i >= 4 && window >> 32 & 0xFF == 0 && !has(gram, w, bits: bits) { return false }
                    if (i - 3) & 1 == 0 {
                        if evenOK && !has(gram, w, bits: bits) { evenOK = false }
                    } else {
                        if oddOK && !has(gram, w, bits: bits) { oddOK = false }
                    }
                    if !evenOK && !oddOK { return false }
                }
                return true
            }
        }
    }

    /// For token-offset keys: for every token of the literal whose start lies inside it the
    /// even-offset grams must all be present; for a token cut by the literal's start the offset
    /// parity is unknown, so one of the two parities must be fully present.
    private func mayContainAtTokenOffsets(_ literal: UnsafeRawBufferPointer, caseInsensitive: Bool) -> Bool {
        let bits = bitCount
        return words.withUnsafeBufferPointer { w in
            TokenGrams.classes.withUnsafeBufferPointer { cls in
                var gram: UInt32 = 0
                var run = 0
                var runStart = 0
                var lastNonASCII = -8
                // Parity results of the literal's first run when it starts at offset 0.
                var evenOK = true, oddOK = true
                for i in 0..<literal.count {
                    let c = cls[Int(literal[i])]
                    if c == 0 { run = 0; continue }
                    if run == 0 { runStart = i }
                    if c >= 0x80 { lastNonASCII = i }
                    gram = (gram << 8) | UInt32(c)
                    run += 1
                    guard run >= 4 else { continue }
                    if caseInsensitive && lastNonASCII > i - 4 { continue }
                    let offset = run - 4
                    if runStart == 0 {
                        if offset & 1 == 0 {
                            if evenOK && !has(gram, w, bits: bits) { evenOK = false }
                        } else {
                            if oddOK && !has(gram, w, bits: bits) { oddOK = false }
                        }
                        if !evenOK && !oddOK { return false }
                    } else if offset & 1 == 0 && !has(gram, w, bits: bits) {
                        return false
                    }
                }
                return evenOK || oddOK
            }
        }
    }
}

/// The gram alphabet: 0 for separators, otherwise the byte as stored (ASCII lowercased).
enum TokenGrams {
    static let classes: [UInt8] = (0..<256).map { b -> UInt8 in
        switch b {
        case 0x30...0x39, 0x61...0x7A, 0x5F: return UInt8(b)
        case 0x41...0x5A: return UInt8(b + 0x20)
        case 0x80...0xFF: return UInt8(b)
        default: return 0
        }
    }

    /// Whether a gram of mapped bytes lies inside a token: none of its bytes is a separator (0).
    @inline(__always) static func isKey(_ gram: UInt32) -> Bool {
        (gram &- 0x0101_0101) & ~gram & 0x8080_8080 == 0
    }

    /// The gram of mapped bytes at `p`, first byte highest.
    @inline(__always) static func gram(_ mapped: UnsafePointer<UInt8>, at p: Int) -> UInt32 {
        UnsafeRawPointer(mapped + p).loadUnaligned(as: UInt32.self).bigEndian
    }
}

/// Builds token filters, reusing its scratch memory between blocks (one user at a time).
/// The line bytes are first mapped through the gram alphabet into scratch, noting the tokens
/// that start at odd offsets on the way, so the key loops read one 4-byte word per even
/// offset and per such token instead of tracking token runs byte by byte.
final class TokenBloomBuilder {
    private var mapped: UnsafeMutablePointer<UInt8>
    private var oddStarts: UnsafeMutablePointer<Int32>
    private var oddStartCount = 0
    private var grams: UnsafeMutablePointer<UInt32>
    private var capacity: Int
    private let sketch: UnsafeMutablePointer<UInt64>
    private static let sketchWords = 1024

    init() {
        capacity = 1 << 16
        mapped = .allocate(capacity: capacity)
        oddStarts = .allocate(capacity: capacity)
        grams = .allocate(capacity: capacity)
        sketch = .allocate(capacity: TokenBloomBuilder.sketchWords)
    }

    deinit {
        mapped.deallocate()
        oddStarts.deallocate()
        grams.deallocate()
        sketch.deallocate()
    }

    /// Builds the filter of a block's line bytes and estimates its distinct keys. With a hint
    /// (the previous block's distinct count) it sets bits in one pass and checks the filter's
    /// own fill (linear counting); only when the estimate is far off does it fall back to the
    /// exact-sizing two passes: collect the keys while estimating their count in a 64 Kibit
    /// sketch, then set the bits of a filter sized for it.
    func build(_ bytes: UnsafeRawBufferPointer, hint: Int) -> (filter: TokenBloom, distinct: Int) {
        let n = bytes.count
        guard n >= 4, n < Int(Int32.max), let src = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            return (TokenBloom(words: []), 0)
        }
        if n > capacity {
            mapped.deallocate()
            oddStarts.deallocate()
            grams.deallocate()
            capacity = n
            mapped = .allocate(capacity: capacity)
            oddStarts = .allocate(capacity: capacity)
            grams = .allocate(capacity: capacity)
        }
        let (m, starts) = (mapped, oddStarts)
        oddStartCount = TokenGrams.classes.withUnsafeBufferPointer { cls in
            let table = cls.baseAddress!
            var previous: UInt8 = 0, count = 0
            for i in 0..<n {
                let c = table[Int(src[i])]
                m[i] = c
                // Branch-free: the slot is always written, the count moves only for a start.
                starts[count] = Int32(truncatingIfNeeded: i)
                count &+= previous == 0 && c != 0 && i & 1 == 1 ? 1 : 0
                previous = c
            }
            return count
        }
        if hint > 0 {
            let words = TokenBloomBuilder.wordCount(forDistinct: Double(hint))
            let filter = onePass(count: n, wordCount: words)
            let estimate = TokenBloomBuilder.linearCount(filter.words)
            if estimate <= Double(hint) * 1.25 && estimate >= Double(hint) * 0.8 {
                return (filter, Int(estimate))
            }
        }
        return twoPass(count: n)
    }

    /// Words for `distinct` keys; from 4 words up a multiple of 4, so the filter can be
    /// partitioned (256 partitions of whole bits) without resizing.
    static func wordCount(forDistinct distinct: Double) -> Int {
        let words = max(1, Int((distinct * TokenBloom.bitsPerKey / 64).rounded(.up)))
        return words < 4 ? words : (words + 3) & ~3
    }

    /// Distinct keys that produced a filter's fill, for one hash per key.
    static func linearCount(_ words: [UInt64]) -> Double {
        let bits = words.count * 64
        var set = 0
        for w in words { set += w.nonzeroBitCount }
        let zeros = max(1, bits - set)
        return -Double(bits) * log(Double(zeros) / Double(bits))
    }

    /// Sets the bit of every key. Branch-free: whether a gram is a key is data-dependent and
    /// often ~50% likely, so a branch on it would mispredict; the bit is OR-ed in as 0 or 1.
    /// Even offsets first, then the tokens starting at odd offsets.
    private func onePass(count n: Int, wordCount: Int) -> TokenBloom {
        var words = [UInt64](repeating: 0, count: wordCount)
        let bits = UInt64(wordCount * 64)
        let m = UnsafePointer(mapped)
        words.withUnsafeMutableBufferPointer { w in
            let base = w.baseAddress!
            @inline(__always) func set(_ gram: UInt32, if key: UInt64) {
                let h = (gram ^ 0x5BD1_E995) &* 0x9E37_79B1
                let s = Int(truncatingIfNeeded: (UInt64(h) &* bits) >> 32)
                base[s >> 6] |= key << UInt64(s & 63)
            }
            var p = 0
            while p + 4 <= n {
                let gram = TokenGrams.gram(m, at: p)
                set(gram, if: TokenGrams.isKey(gram) ? 1 : 0)
                p += 2
            }
            for k in 0..<oddStartCount {
                let start = Int(oddStarts[k])
                guard start + 4 <= n else { break }
                let gram = TokenGrams.gram(m, at: start)
                set(gram, if: TokenGrams.isKey(gram) ? 1 : 0)
            }
        }
        return TokenBloom(words: words)
    }

    private func twoPass(count n: Int) -> (filter: TokenBloom, distinct: Int) {
        let sketchBits = TokenBloomBuilder.sketchWords * 64
        sketch.initialize(repeating: 0, count: TokenBloomBuilder.sketchWords)
        let m = UnsafePointer(mapped)
        var keys = 0
        var p = 0
        while p + 4 <= n {
            let gram = TokenGrams.gram(m, at: p)
            // Even offsets, and odd ones where a token starts.
            let isKey = TokenGrams.isKey(gram) && (p & 1 == 0 || m[p - 1] == 0)
            p += 1
            guard isKey else { continue }
            grams[keys] = gram
            keys += 1
            let s = TokenBloom.slot(gram ^ 0x2F6B_1C3D, bits: sketchBits)
            sketch[s >> 6] |= 1 << UInt64(s & 63)
        }
        guard keys > 0 else { return (TokenBloom(words: []), 0) }
        var setBits = 0
        for w in 0..<TokenBloomBuilder.sketchWords { setBits += sketch[w].nonzeroBitCount }
        let zeros = max(1, sketchBits - setBits)
        // Sized from the rounded count it returns, so a later block hinted with that count
        // builds a filter of the same size from the same keys.
        let distinct = (-Double(sketchBits) * log(Double(zeros) / Double(sketchBits))).rounded()
        let wordCount = TokenBloomBuilder.wordCount(forDistinct: distinct)
        let bits = wordCount * 64
        var words = [UInt64](repeating: 0, count: wordCount)
        words.withUnsafeMutableBufferPointer { w in
            for i in 0..<keys {
                let s = TokenBloom.slot(grams[i], bits: bits)
                w[s >> 6] |= 1 << UInt64(s & 63)
            }
        }
        return (TokenBloom(words: words), Int(distinct))
    }
}

private func log(_ x: Double) -> Double {
    // Natural logarithm without Foundation: ln(x) = log2(x) * ln(2), log2 from the exponent
    // plus a short series on the mantissa; accurate to ~1e-6, ample for sizing a filter.
    guard x > 0 else { return -.infinity }
    let e = Double(x.exponent)
    let m = x.significand            // in [1, 2)
    let y = (m - 1) / (m + 1)
    let y2 = y * y
    var term = y, sum = 0.0
    for k in stride(from: 1.0, through: 15.0, by: 2.0) {
        sum += term / k
        term *= y2
    }
    return e * 0.693_147_180_559_945_3 + 2 * sum
}
