/// `ip("…")` filters: a single address, a CIDR prefix, or an inclusive range `a-b`,
/// IPv4 or IPv6. Addresses are held as 128-bit numbers (IPv4 in its own family).
public struct IPMatcher: Sendable {
    struct Addr: Comparable, Sendable {
        var v6: Bool
        var hi: UInt64
        var lo: UInt64
        static func < (a: Addr, b: Addr) -> Bool { (a.hi, a.lo) < (b.hi, b.lo) }
    }

    struct IPError: Error { let message: String }

    let low: Addr
    let high: Addr

    init(_ pattern: String) throws(IPError) {
        let p = pattern.trimmingSpaces
        if let slash = p.firstIndex(of: "/") {
            guard let a = Self.parse(Array(p[..<slash].utf8)), let bits = Int(p[p.index(after: slash)...]),
                  bits >= 0, bits <= (a.v6 ? 128 : 32) else {
                throw IPError(message: "invalid ip pattern: \(pattern)")
            }
            let total = a.v6 ? 128 : 32
            let hostBits = total - bits
            var lo = a, hi = a
            // mask the host bits (IPv4 lives in the low 32 bits of `lo`)
            for bit in 0..<hostBits {
                if bit < 64 {
                    lo.lo &= ~(UInt64(1) << UInt64(bit)); hi.lo |= UInt64(1) << UInt64(bit)
                } else {
                    lo.hi &= ~(UInt64(1) << UInt64(bit - 64)); hi.hi |= UInt64(1) << UInt64(bit - 64)
                }
            }
            low = lo; high = hi
        } else if let dash = p.firstIndex(of: "-") {
            guard let a = Self.parse(Array(p[..<dash].utf8)), let b = Self.parse(Array(p[p.index(after: dash)...].utf8)),
                  a.v6 == b.v6, a <= b else {
                throw IPError(message: "invalid ip pattern: \(pattern)")
            }
            low = a; high = b
        } else {
            guard let a = Self.parse(Array(p.utf8)) else { throw IPError(message: "invalid ip pattern: \(pattern)") }
            low = a; high = a
        }
    }

    func contains(_ a: Addr) -> Bool { a.v6 == low.v6 && low <= a && a <= high }

    /// Whether `value` (a whole label value) is an address inside the pattern.
    public func matches(value: [UInt8]) -> Bool {
        guard let a = Self.parse(value[...]) else { return false }
        return contains(a)
    }

    /// Whether any address-looking token of the line is inside the pattern.
    public func matches(line: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = line.count
        while i < n {
            let c = line[i]
            guard Self.isIPChar(c) else { i += 1; continue }
            var j = i
            while j < n, Self.isIPChar(line[j]) { j += 1 }
            if j - i >= 2 {
                let run = Array(UnsafeRawBufferPointer(rebasing: line[i..<j]))
                if let a = Self.parse(run[...]), contains(a) { return true }
                // an IPv4 address followed by a port or glued to hex-looking text
                var k = 0
                while k < run.count {
                    guard Lexer.isDigit(run[k]) else { k += 1; continue }
                    var e = k
                    while e < run.count, Lexer.isDigit(run[e]) || run[e] == UInt8(ascii: ".") { e += 1 }
                    if let v = Self.parseV4(run[k..<e]), contains(Addr(v6: false, hi: 0, lo: UInt64(v))) { return true }
                    k = e
                }
            }
            i = j
        }
        return false
    }

    static func isIPChar(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || c == 58 || c == 46 || ((c | 0x20) >= 97 && (c | 0x20) <= 102)
    }

    static func parse(_ b: ArraySlice<UInt8>) -> Addr? {
        if b.contains(UInt8(ascii: ":")) { return parseV6(b) }
        guard let v = parseV4(b) else { return nil }
        return Addr(v6: false, hi: 0, lo: UInt64(v))
    }

    static func parse(_ b: [UInt8]) -> Addr? { parse(b[...]) }

    static func parseV4(_ b: ArraySlice<UInt8>) -> UInt32? {
        let parts = b.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            if p.count > 1 && p.first == 48 { return nil }
            var n: UInt32 = 0
            for d in p { n = n * 10 + UInt32(d - 48) }
            guard n <= 255 else { return nil }
            v = v << 8 | n
        }
        return v
    }

    static func parseV6(_ b: ArraySlice<UInt8>) -> Addr? {
        var groups: [UInt16] = []
        var gapAt: Int? = nil
        let s = Array(b)
        var i = 0
        if s.starts(with: [58, 58]) { gapAt = 0; i = 2 } else if s.first == 58 { return nil }
        while i < s.count {
            var j = i
            while j < s.count, s[j] != 58 { j += 1 }
            let part = s[i..<j]
            if part.contains(46) {
                guard j == s.count, let v4 = parseV4(part) else { return nil }
                groups.append(UInt16(v4 >> 16)); groups.append(UInt16(v4 & 0xFFFF))
                i = j
                break
            }
            guard !part.isEmpty, part.count <= 4 else { return nil }
            var v: UInt16 = 0
            for c in part {
                let d: UInt16
                switch c {
                case 48...57: d = UInt16(c - 48)
                case 97...102: d = UInt16(c - 87)
                case 65...70: d = UInt16(c - 55)
                default: return nil
                }
                v = v << 4 | d
            }
            groups.append(v)
            i = j
            if i < s.count {
                i += 1 // ':'
                if i < s.count, s[i] == 58 {
                    if gapAt != nil { return nil }
                    gapAt = groups.count
                    i += 1
                } else if i == s.count { return nil }
            }
        }
        if let g = gapAt {
            guard groups.count < 8 else { return nil }
            groups.insert(contentsOf: [UInt16](repeating: 0, count: 8 - groups.count), at: g)
        }
        guard groups.count == 8 else { return nil }
        var hi: UInt64 = 0, lo: UInt64 = 0
        for k in 0..<4 { hi = hi << 16 | UInt64(groups[k]) }
        for k in 4..<8 { lo = lo << 16 | UInt64(groups[k]) }
        return Addr(v6: true, hi: hi, lo: lo)
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
