/// A per-block filter of 4-byte grams inside tokens, so `|= "needle"` skips blocks without
/// decompressing them. Tokens are runs of ASCII letters, digits, `_` and non-ASCII bytes;
/// ASCII letters are lowercased, so case-insensitive searches use it too.
///
/// Keys are the grams that start at an even offset of their token (offsets 0, 2, 4, …): half
/// the work and half the bits of indexing every gram, yet still exact. A literal can start or
/// end mid-token in a line; for every token of the literal whose start lies inside the literal
/// the even-offset grams are known and all must be present; for a token cut by the literal's
/// start the offset parity is unknown, so one of the two parities must be fully present. The
/// filter never says "no" wrongly. One hash per key and ~2 bits per distinct key (sized from a
/// linear-counting estimate) keep it a few percent of a compressed block.
struct TokenBloom: Sendable, Hashable {
    static let bitsPerKey = 2.0
    var words: [UInt64]

    var bitCount: Int { words.count * 64 }
    var byteSize: Int { words.count * 8 }

    /// Multiplicative hash of the gram, mapped onto `bits` by multiply-shift (no division).
    @inline(__always) static func slot(_ gram: UInt32, bits: Int) -> Int {
        let h = (gram ^ 0x5BD1_E995) &* 0x9E37_79B1
        return Int(truncatingIfNeeded: (UInt64(h) &* UInt64(bits)) >> 32)
    }

    @inline(__always) func has(_ gram: UInt32, _ w: UnsafeBufferPointer<UInt64>, bits: Int) -> Bool {
        let s = TokenBloom.slot(gram, bits: bits)
        return w[s >> 6] & (1 << UInt64(s & 63)) != 0
    }

    /// Whether the block may contain `literal`; true when unsure (no checkable gram).
    func mayContain(_ literal: UnsafeRawBufferPointer, caseInsensitive: Bool) -> Bool {
        let bits = bitCount
        guard bits > 0 else { return true }
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

    /// Calls `body` with every key gram of the lines (even offsets in their tokens); token runs
    /// restart at each line.
    @inline(__always)
    static func forEachKey(_ bytes: UnsafeRawBufferPointer, lineStarts: UnsafeBufferPointer<Int>, _ body: (UInt32) -> Void) {
        classes.withUnsafeBufferPointer { cls in
            for line in 0..<max(0, lineStarts.count - 1) {
                var gram: UInt32 = 0
                var run = 0
                var p = lineStarts[line]
                let end = min(lineStarts[line + 1], bytes.count)
                while p < end {
                    let c = cls[Int(bytes[p])]
                    p += 1
                    if c == 0 { run = 0; continue }
                    gram = (gram << 8) | UInt32(c)
                    run += 1
                    if run >= 4 && run & 1 == 0 { body(gram) }
                }
            }
        }
    }
}

/// Builds token filters, reusing its scratch memory between blocks (one user at a time).
/// Two passes over the block's grams: the first stores them and estimates how many are
/// distinct (linear counting in a 64 Kibit sketch), the second sets the bits of a filter sized
/// for that many keys.
final class TokenBloomBuilder {
    private var grams: UnsafeMutablePointer<UInt32>
    private var capacity: Int
    private let sketch: UnsafeMutablePointer<UInt64>
    private static let sketchWords = 1024

    init() {
        capacity = 1 << 16
        grams = .allocate(capacity: capacity)
        sketch = .allocate(capacity: TokenBloomBuilder.sketchWords)
    }

    deinit {
        grams.deallocate()
        sketch.deallocate()
    }

    /// Builds the filter of a block's line bytes and estimates its distinct grams. With a
    /// hint (the previous block's distinct count) it sets bits in one pass and checks the
    /// filter's own fill (linear counting); only when the estimate is far off does it fall back
    /// to the exact-sizing two passes.
    func build(_ bytes: UnsafeRawBufferPointer, lineStarts: UnsafeBufferPointer<Int>, hint: Int) -> (filter: TokenBloom, distinct: Int) {
        if hint > 0 {
            let words = TokenBloomBuilder.wordCount(forDistinct: Double(hint))
            let filter = onePass(bytes, lineStarts: lineStarts, wordCount: words)
            let estimate = TokenBloomBuilder.linearCount(filter.words)
            if estimate <= Double(hint) * 1.25 && estimate >= Double(hint) * 0.8 {
                return (filter, Int(estimate))
            }
        }
        return twoPass(bytes, lineStarts: lineStarts)
    }

    static func wordCount(forDistinct distinct: Double) -> Int {
        max(1, Int((distinct * TokenBloom.bitsPerKey / 64).rounded(.up)))
    }

    /// Distinct keys that produced a filter's fill, for one hash per key.
    static func linearCount(_ words: [UInt64]) -> Double {
        let bits = words.count * 64
        var set = 0
        for w in words { set += w.nonzeroBitCount }
        let zeros = max(1, bits - set)
        return -Double(bits) * log(Double(zeros) / Double(bits))
    }

    private func onePass(_ bytes: UnsafeRawBufferPointer, lineStarts: UnsafeBufferPointer<Int>, wordCount: Int) -> TokenBloom {
        var words = [UInt64](repeating: 0, count: wordCount)
        let bits = UInt64(wordCount * 64)
        words.withUnsafeMutableBufferPointer { w in
            TokenGrams.classes.withUnsafeBufferPointer { cls in
                let base = w.baseAddress!
                for line in 0..<max(0, lineStarts.count - 1) {
                    var gram: UInt32 = 0
                    var run = 0
                    var p = lineStarts[line]
                    let end = min(lineStarts[line + 1], bytes.count)
                    while p < end {
                        let c = cls[Int(bytes[p])]
                        p += 1
                        if c == 0 { run = 0; continue }
                        gram = (gram << 8) | UInt32(c)
                        run += 1
                        if run >= 4 && run & 1 == 0 {
                            let h = (gram ^ 0x5BD1_E995) &* 0x9E37_79B1
                            let s = Int(truncatingIfNeeded: (UInt64(h) &* bits) >> 32)
                            base[s >> 6] |= 1 << UInt64(s & 63)
                        }
                    }
                }
            }
        }
        return TokenBloom(words: words)
    }

    private func twoPass(_ bytes: UnsafeRawBufferPointer, lineStarts: UnsafeBufferPointer<Int>) -> (filter: TokenBloom, distinct: Int) {
        if bytes.count > capacity {
            grams.deallocate()
            capacity = bytes.count
            grams = .allocate(capacity: capacity)
        }
        let sketchBits = TokenBloomBuilder.sketchWords * 64
        sketch.initialize(repeating: 0, count: TokenBloomBuilder.sketchWords)
        var n = 0
        let (g, sk) = (grams, sketch)
        TokenGrams.forEachKey(bytes, lineStarts: lineStarts) { gram in
            g[n] = gram
            n += 1
            let s = TokenBloom.slot(gram ^ 0x2F6B_1C3D, bits: sketchBits)
            sk[s >> 6] |= 1 << UInt64(s & 63)
        }
        guard n > 0 else { return (TokenBloom(words: []), 0) }
        var setBits = 0
        for w in 0..<TokenBloomBuilder.sketchWords { setBits += sketch[w].nonzeroBitCount }
        let zeros = max(1, sketchBits - setBits)
        let distinct = -Double(sketchBits) * log(Double(zeros) / Double(sketchBits))
        let wordCount = TokenBloomBuilder.wordCount(forDistinct: distinct)
        let bits = wordCount * 64
        var words = [UInt64](repeating: 0, count: wordCount)
        words.withUnsafeMutableBufferPointer { w in
            for i in 0..<n {
                let s = TokenBloom.slot(grams[i], bits: bits)
                w[s >> 6] |= 1 << UInt64(s & 63)
            }
        }
        return (TokenBloom(words: words), Int(distinct.rounded()))
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
