import KansokuCore

/// `| json`: flattens nested objects with `_`, drops nulls and arrays; with parameters,
/// extracts only the given paths (raw JSON for non-string values, empty when missing).
struct JSONStage: Sendable {
    let params: [(name: String, path: [JSONPathStep])]

    init(_ p: [LabelExtraction]) throws(LogQLError) {
        var out: [(String, [JSONPathStep])] = []
        for e in p {
            let expr = e.expression ?? e.name
            guard let path = JSONPathStep.parse(expr) else {
                throw .execution("cannot parse expression [\(expr)]: syntax error")
            }
            out.append((e.name, path))
        }
        params = out
    }

    /// How a log line is read as JSON: leniently, as Loki's reader does, and no deeper than
    /// its depth limit (a deeper line is malformed rather than recursed into).
    static func scanner(_ line: UnsafeRawBufferPointer) -> JSONScanner {
        JSONScanner(line, strictness: .lenient, maxDepth: 256)
    }

    func process(_ line: UnsafeRawBufferPointer, _ lb: inout LabelsBuilder) {
        var sc = Self.scanner(line)
        var seen = Set<String>()
        do {
            if params.isEmpty {
                try flatten(&sc, prefix: "", lb: &lb, seen: &seen)
                try sc.expectEnd()
            } else {
                // validate the whole line first: a malformed line is an error, not a miss
                var probe = Self.scanner(line)
                try probe.skipValue()
                for (name, path) in params {
                    var s2 = Self.scanner(line)
                    let v = try lookup(&s2, path[...]) ?? ""
                    lb.set(lb.parsedName(sanitizeLabelName(name)), v)
                }
            }
        } catch {
            lb.setError("JSONParserErr", details: "Value looks like object, but can't find closing '}' symbol")
        }
    }

    /// Each member is skipped (validated) before it is used, so a nested object is flattened
    /// only once it is known to be well formed and within the depth limit.
    private func flatten(_ sc: inout JSONScanner, prefix: String, lb: inout LabelsBuilder, seen: inout Set<String>) throws {
        try sc.forEachMember { sc, key, escaped in
            let kind = try sc.peekKind()
            let r = try sc.skipValue()
            let k = prefix + sanitizeLabelName(try sc.string(key, escaped: escaped))
            switch kind {
            case .object:
                var inner = sc.at(r.lowerBound)
                try flatten(&inner, prefix: k + "_", lb: &lb, seen: &seen)
            case .null, .array:
                break
            case .string, .number, .bool:
                guard seen.insert(k).inserted else { return }
                var value = sc.at(r.lowerBound)
                let v = kind == .string ? try value.readString() : sc.text(r)
                lb.set(lb.parsedName(k), v)
            }
        }
    }

    private func lookup(_ sc: inout JSONScanner, _ path: ArraySlice<JSONPathStep>) throws -> String? {
        guard let step = path.first else {
            switch try sc.peekKind() {
            case .string: return try sc.readString()
            case .null: try sc.skipValue(); return ""
            default: return sc.text(try sc.skipValue())
            }
        }
        sc.skipWhitespace()
        switch step {
        case .field(let name):
            guard !sc.isAtEnd, sc.bytes[sc.offset] == UInt8(ascii: "{") else { return nil }
            var found: Int?
            try sc.forEachMember { sc, key, escaped in
                let r = try sc.skipValue()
                if found == nil, try sc.string(key, escaped: escaped) == name { found = r.lowerBound }
            }
            guard let at = found else { return nil }
            var inner = sc.at(at)
            return try lookup(&inner, path.dropFirst())
        case .index(let n):
            guard sc.consume(UInt8(ascii: "[")) else { return nil }
            if sc.consume(UInt8(ascii: "]")) { return nil }
            var idx = 0
            while true {
                if idx == n { return try lookup(&sc, path.dropFirst()) }
                try sc.skipValue()
                guard sc.consume(UInt8(ascii: ",")) else { return nil }
                idx += 1
            }
        }
    }
}

/// `| unpack`: a JSON object of strings; `_entry` becomes the line.
enum UnpackStage {
    static func process(_ line: UnsafeRawBufferPointer, _ lb: inout LabelsBuilder) -> [UInt8]? {
        var sc = JSONStage.scanner(line)
        var entry: [UInt8]?
        var seen = Set<String>()
        do {
            try sc.forEachMember { sc, key, escaped in
                guard try sc.peekKind() == .string else { try sc.skipValue(); return }
                let k = try sc.string(key, escaped: escaped)
                let value = try sc.readString()
                if k == "_entry" { entry = Array(value.utf8); return }
                let name = sanitizeLabelName(k)
                guard seen.insert(name).inserted else { return }
                lb.set(lb.parsedName(name), value)
            }
        } catch {
            lb.setError("JSONParserErr", details: "Value looks like object, but can't find closing '}' symbol")
            return nil
        }
        return entry
    }
}

/// `| logfmt [--strict] [--keep-empty] [params]`.
struct LogfmtStage: Sendable {
    let strict: Bool
    let keepEmpty: Bool
    /// key in the line → label name; empty for "all keys".
    let params: [String: String]

    init(strict: Bool, keepEmpty: Bool, params: [LabelExtraction]) {
        self.strict = strict
        self.keepEmpty = keepEmpty
        var p: [String: String] = [:]
        for e in params { p[e.expression ?? e.name] = e.name }
        self.params = p
    }

    func process(_ line: UnsafeRawBufferPointer, _ lb: inout LabelsBuilder) {
        var scanner = LogfmtScanner(line, strict: strict)
        var seen = Set<String>()
        do {
            while let pair = try scanner.next() {
                let rawKey = String(decoding: UnsafeRawBufferPointer(rebasing: line[pair.key]), as: UTF8.self)
                let labelName: String
                if params.isEmpty {
                    labelName = sanitizeLabelName(rawKey)
                } else {
                    guard let p = params[rawKey] else { continue }
                    labelName = p
                }
                let value = scanner.value(of: pair)
                if value.isEmpty && !keepEmpty { continue }
                guard seen.insert(labelName).inserted else { continue }
                lb.set(lb.parsedName(labelName), value)
            }
        } catch {
            lb.setError("LogfmtParserErr", details: error.description)
        }
    }
}

/// `| regexp "(?P<name>…)"`.
struct RegexpStage: Sendable {
    let regex: RE2Regex

    init(_ pattern: String) throws(LogQLError) {
        do { regex = try RE2Regex(pattern) } catch { throw .execution(RegexMessages.goStyle(error, pattern: pattern)) }
        let names = regex.groupNames.compactMap { $0 }
        if names.isEmpty { throw .execution("at least one named capture must be supplied") }
        if Set(names).count != names.count { throw .execution("duplicate extracted label name") }
    }

    func process(_ line: UnsafeRawBufferPointer, _ lb: inout LabelsBuilder) {
        guard let caps = regex.captures(in: line) else { return }
        for (k, r) in caps.enumerated() {
            guard k > 0, let name = regex.groupNames[k], let r else { continue }
            lb.set(lb.parsedName(sanitizeLabelName(name)), String(decoding: UnsafeRawBufferPointer(rebasing: line[r]), as: UTF8.self))
        }
    }
}

/// `| pattern "<a> <_> <b>"`.
struct PatternStage: Sendable {
    let matcher: PatternMatcher

    func process(_ line: UnsafeRawBufferPointer, _ lb: inout LabelsBuilder) {
        guard let caps = matcher.captures(line) else { return }
        for (name, r) in zip(matcher.names, caps) {
            lb.set(lb.parsedName(name), String(decoding: UnsafeRawBufferPointer(rebasing: line[r]), as: UTF8.self))
        }
    }
}
