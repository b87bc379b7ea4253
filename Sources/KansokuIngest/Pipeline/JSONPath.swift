import KansokuCore

/// A field path into a JSON document, as the `json` stage's expressions write them:
/// `a.b.c`, `a[0].b`, `"key.with.dots".x`, `a['k']`. A subset of JMESPath that covers what
/// Promtail configurations use for extraction.
struct JSONPath: Sendable, Hashable {
    enum Step: Sendable, Hashable {
        case key([UInt8])
        case index(Int)
    }

    let steps: [Step]

    init(_ text: String) throws(PipelineConfigError.PathError) {
        let b = Array(text.utf8)
        var steps: [Step] = []
        var i = 0
        var expectKey = true
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: ".") {
                guard !expectKey else { throw .init("unexpected '.' at byte \(i)") }
                expectKey = true
                i += 1
            } else if c == UInt8(ascii: "[") {
                i += 1
                if i < b.count, b[i] == UInt8(ascii: "'") || b[i] == UInt8(ascii: "\"") {
                    let q = b[i]
                    i += 1
                    let start = i
                    while i < b.count, b[i] != q { i += 1 }
                    guard i + 1 < b.count, b[i + 1] == UInt8(ascii: "]") else { throw .init("unterminated quoted key at byte \(start)") }
                    steps.append(.key(Array(b[start..<i])))
                    i += 2
                } else {
                    let start = i
                    while i < b.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) { i += 1 }
                    guard i > start, i < b.count, b[i] == UInt8(ascii: "]") else { throw .init("expected an index like [0] at byte \(start)") }
                    steps.append(.index(Int(String(decoding: b[start..<i], as: UTF8.self))!))
                    i += 1
                }
                expectKey = false
            } else if c == UInt8(ascii: "\"") {
                guard expectKey else { throw .init("expected '.' or '[' at byte \(i)") }
                i += 1
                let start = i
                while i < b.count, b[i] != UInt8(ascii: "\"") { i += 1 }
                guard i < b.count else { throw .init("unterminated quoted key at byte \(start - 1)") }
                steps.append(.key(Array(b[start..<i])))
                i += 1
                expectKey = false
            } else {
                guard expectKey else { throw .init("expected '.' or '[' at byte \(i)") }
                let start = i
                while i < b.count, b[i] != UInt8(ascii: "."), b[i] != UInt8(ascii: "[") { i += 1 }
                steps.append(.key(Array(b[start..<i])))
                expectKey = false
            }
        }
        guard !steps.isEmpty, !expectKey || steps.isEmpty else { throw .init("empty path or trailing '.'") }
        self.steps = steps
    }

    /// Finds the value at this path in the document `s` is positioned on. Returns the raw byte
    /// range of the value and its kind, or nil when the path does not exist.
    func find(in s: inout JSONScanner) throws -> (Range<Int>, JSONValueKind)? {
        try find(in: &s, from: 0)
    }

    private func find(in s: inout JSONScanner, from k: Int) throws -> (Range<Int>, JSONValueKind)? {
        let kind = try s.peekKind()
        if k == steps.count {
            let r = try s.skipValue()
            return (r, kind)
        }
        var found: (Range<Int>, JSONValueKind)?
        switch steps[k] {
        case .key(let want):
            guard kind == .object else { try s.skipValue(); return nil }
            var unescaped: [UInt8] = []
            try s.forEachMember { s, key, escaped in
                var match = false
                if found == nil {
                    if escaped {
                        unescaped.removeAll(keepingCapacity: true)
                        try JSONScanner.unescape(key, into: &unescaped, baseOffset: 0)
                        match = unescaped == want
                    } else {
                        match = key.elementsEqual(want)
                    }
                }
                if match {
                    found = try find(in: &s, from: k + 1)
                } else {
                    try s.skipValue()
                }
            }
        case .index(let want):
            guard kind == .array else { try s.skipValue(); return nil }
            try s.forEachElement { s, i in
                if i == want { found = try find(in: &s, from: k + 1) } else { try s.skipValue() }
            }
        }
        return found
    }
}

extension PipelineConfigError {
    struct PathError: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
