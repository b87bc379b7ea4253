extension RE2Regex {
    /// Go's `Regexp.ReplaceAllString` (`literal`: `ReplaceAllLiteralString`): every match of
    /// the regex in `text` replaced by `replacement`, in which `$1`, `${1}`, `$name` and
    /// `${name}` stand for submatches and `$$` for a `$` (unless `literal`). An empty match
    /// right after a previous match is skipped, as Go does. nil when the result would exceed
    /// `limit` bytes, so a template cannot build an unbounded string.
    public func replaceAll(in text: String, with replacement: String, literal: Bool = false, limit: Int = .max) -> String? {
        let bytes = Array(text.utf8)
        let template = Array(replacement.utf8)
        var out: [UInt8] = []
        var pos = 0
        var lastMatchEnd = -1
        var over = false
        bytes.withUnsafeBytes { buf in
            while pos <= buf.count {
                if out.count > limit { over = true; return }
                guard let m = firstMatch(in: buf, from: pos) else { break }
                if m.isEmpty && m.lowerBound == lastMatchEnd {
                    if pos < buf.count { out.append(buf[pos]) }
                    pos += 1
                    continue
                }
                out.append(contentsOf: buf[pos..<m.lowerBound])
                if literal {
                    out.append(contentsOf: template)
                } else {
                    let caps = captures(in: UnsafeRawBufferPointer(rebasing: buf[m.lowerBound...])) ?? []
                    let shifted = caps.map { $0.map { ($0.lowerBound + m.lowerBound)..<($0.upperBound + m.lowerBound) } }
                    expand(template, captures: shifted, in: buf, into: &out)
                }
                lastMatchEnd = m.upperBound
                if m.isEmpty {
                    if m.lowerBound < buf.count { out.append(buf[m.lowerBound]) }
                    pos = m.upperBound + 1
                } else {
                    pos = m.upperBound
                }
            }
            if pos < buf.count { out.append(contentsOf: buf[pos...]) }
        }
        if over || out.count > limit { return nil }
        return String(decoding: out, as: UTF8.self)
    }

    /// Go's `Regexp.Expand`: `template` with `$n`/`${n}`/`$name`/`${name}` replaced by the
    /// submatches of `text` at `captures` (from `captures(in:)`; unknown or unmatched groups
    /// give nothing) and `$$` by `$`. A bare name is the longest run of letters, digits and `_`.
    public func expand(_ template: String, captures: [Range<Int>?], in text: UnsafeRawBufferPointer) -> String {
        var out: [UInt8] = []
        expand(Array(template.utf8), captures: captures, in: text, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func expand(_ t: [UInt8], captures caps: [Range<Int>?], in buf: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        func isNameByte(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_")
        }
        var i = 0
        while i < t.count {
            guard t[i] == UInt8(ascii: "$"), i + 1 < t.count else { out.append(t[i]); i += 1; continue }
            if t[i + 1] == UInt8(ascii: "$") { out.append(t[i]); i += 2; continue }
            var j = i + 1
            let name: String
            if t[j] == UInt8(ascii: "{") {
                j += 1
                let s = j
                while j < t.count, isNameByte(t[j]) { j += 1 }
                guard j < t.count, t[j] == UInt8(ascii: "}"), j > s else { out.append(t[i]); i += 1; continue }
                name = String(decoding: t[s..<j], as: UTF8.self)
                j += 1
            } else {
                let s = j
                while j < t.count, isNameByte(t[j]) { j += 1 }
                name = String(decoding: t[s..<j], as: UTF8.self)
                if name.isEmpty { out.append(t[i]); i += 1; continue }
            }
            i = j
            let index: Int? = Int(name) ?? groupNames.firstIndex(where: { $0 == name })
            if let index, index < caps.count, let r = caps[index] { out.append(contentsOf: buf[r]) }
        }
    }
}
