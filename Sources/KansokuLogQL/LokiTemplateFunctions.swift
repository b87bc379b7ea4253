import KansokuCore
import KansokuTemplate
import Foundation

/// Loki's template functions (the ones its docs list and users reach for), on top of Go's
/// builtins; they read the entry's line and time through `LogLineData`.
enum LokiTemplateFunctions {
    static let names: [String] = [
        "__line__", "__timestamp__", "lower", "upper", "ToLower", "ToUpper", "title", "Title",
        "trim", "trimAll", "trimPrefix", "trimSuffix", "trimSpace", "Trim", "TrimLeft", "TrimRight",
        "TrimPrefix", "TrimSuffix", "TrimSpace", "replace", "Replace", "regexReplaceAll",
        "regexReplaceAllLiteral", "contains", "hasPrefix", "hasSuffix", "default",
        "repeat", "substr", "trunc", "indent", "nindent", "count", "add", "sub", "mul", "div", "mod", "addf", "subf", "mulf",
        "divf", "max", "min", "maxf", "minf", "ceil", "floor", "round", "int", "float64",
        "toString", "urlencode", "urldecode", "b64enc", "b64dec", "unixEpoch", "unixEpochMillis",
        "unixEpochNanos", "alignLeft", "alignRight", "bytes", "duration", "duration_seconds",
        "fromJson", "empty", "coalesce", "quote", "squote", "cat",
    ]

    /// `line_format`'s language: these functions, labels as `.name`, Loki's float layout.
    static let language = TemplateLanguage(
        functions: Dictionary(uniqueKeysWithValues: names.map { name in
            (name, TemplateFunction(regexArgument: name.hasPrefix("regexReplaceAll") ? 0 : nil) { c throws(TemplateError) in try call(c) })
        }),
        floats: .decimal, limitSetting: "max_template_output_bytes")

    static func call(_ c: TemplateCall) throws(TemplateError) -> TemplateValue {
        if let v = try text(c) { return v }
        if let v = try values(c) { return v }
        if let v = try arithmetic(c) { return v }
        if let v = try conversion(c) { return v }
        throw .execution("function \"\(c.name)\" not defined")
    }

    /// The entry the template runs on.
    private static func entry(_ c: TemplateCall) -> LogLineData {
        c.data as? LogLineData ?? LogLineData(labels: [:], line: "", timestamp: 0)
    }

    /// Case, trimming, replacing and searching in strings.
    private static func text(_ c: TemplateCall) throws(TemplateError) -> TemplateValue? {
        let name = c.name, a = c.args
        switch name {
        case "__line__": return .string(entry(c).line)
        case "__timestamp__": return .int(entry(c).timestamp)
        case "lower", "ToLower": return .string(try c.string(0).lowercased())
        case "upper", "ToUpper": return .string(try c.string(0).uppercased())
        case "title", "Title": return .string(try c.string(0).capitalized)
        case "trimSpace", "TrimSpace", "trim": return .string(try c.string(0).trimmingCharacters(in: .whitespacesAndNewlines))
        case "trimAll": // sprig: trimAll cutset s
            return .string(try c.string(1).trimmingCharacters(in: CharacterSet(charactersIn: try c.string(0))))
        case "Trim": return .string(try c.string(0).trimmingCharacters(in: CharacterSet(charactersIn: try c.string(1))))
        case "TrimLeft":
            let cut = CharacterSet(charactersIn: try c.string(1))
            let s = try c.string(0)
            return .string(String(s.unicodeScalars.drop { cut.contains($0) }))
        case "TrimRight":
            let cut = CharacterSet(charactersIn: try c.string(1))
            var u = Array(try c.string(0).unicodeScalars)
            while let l = u.last, cut.contains(l) { u.removeLast() }
            return .string(String(String.UnicodeScalarView(u)))
        case "trimPrefix": // sprig order: prefix, s
            let p = try c.string(0), s = try c.string(1)
            return .string(s.hasPrefix(p) ? String(s.dropFirst(p.count)) : s)
        case "trimSuffix":
            let p = try c.string(0), s = try c.string(1)
            return .string(s.hasSuffix(p) ? String(s.dropLast(p.count)) : s)
        case "TrimPrefix":
            let s = try c.string(0), p = try c.string(1)
            return .string(s.hasPrefix(p) ? String(s.dropFirst(p.count)) : s)
        case "TrimSuffix":
            let s = try c.string(0), p = try c.string(1)
            return .string(s.hasSuffix(p) ? String(s.dropLast(p.count)) : s)
        case "replace": // sprig: replace old new s
            let s = try c.string(2), old = try c.string(0), new = try c.string(1)
            try checkReplace(s, old, new, c)
            return .string(s.replacingOccurrences(of: old, with: new))
        case "Replace": // strings.Replace(s, old, new, n)
            let s = try c.string(0), old = try c.string(1), new = try c.string(2)
            let n = a.count > 3 ? (try c.int(3)) : -1
            try checkReplace(s, old, new, c)
            if n < 0 || old.isEmpty { return .string(s.replacingOccurrences(of: old, with: new)) }
            var out = s
            for _ in 0..<n {
                guard let r = out.range(of: old) else { break }
                out.replaceSubrange(r, with: new)
            }
            return .string(out)
        case "regexReplaceAll", "regexReplaceAllLiteral":
            let re = try c.string(0), s = try c.string(1), repl = try c.string(2)
            let r = try c.regex(re)
            guard let out = r.replaceAll(in: s, with: repl, literal: name == "regexReplaceAllLiteral", limit: c.outputLimit) else {
                try c.check(Int.max)
                return .null
            }
            return .string(out)
        case "contains": return .bool(try c.string(1).contains(try c.string(0)))
        case "hasPrefix": return .bool(try c.string(1).hasPrefix(try c.string(0)))
        case "hasSuffix": return .bool(try c.string(1).hasSuffix(try c.string(0)))
        default: return nil
        }
    }

    /// Defaults, printing, lengths and slicing.
    private static func values(_ c: TemplateCall) throws(TemplateError) -> TemplateValue? {
        let name = c.name, a = c.args
        switch name {
        case "default":
            let d = try c.arg(0)
            guard a.count > 1 else { return d }
            return a[1].truthy ? a[1] : d
        case "coalesce": return a.first { $0.truthy } ?? TemplateValue.null
        case "empty": return .bool(!(try c.arg(0)).truthy)
        case "cat": return .string(a.map(c.text).joined(separator: " "))
        case "count": return .int(Int64(try c.string(1).components(separatedBy: try c.string(0)).count - 1))
        case "repeat":
            let n = Int(try c.int(0)), s = try c.string(1)
            guard n >= 0 else { throw .execution("strings: negative Repeat count") }
            try c.check(n, times: s.utf8.count)
            return .string(String(repeating: s, count: n))
        case "substr":
            let s = Array(try c.string(2).unicodeScalars)
            var st = Int(try c.int(0)), en = Int(try c.int(1))
            if st < 0 { st = 0 }
            if en < 0 || en > s.count { en = s.count }
            if st > en { return .string("") }
            return .string(String(String.UnicodeScalarView(s[st..<en])))
        case "trunc":
            let n = Int(try c.int(0)), s = try c.string(1)
            if n >= 0 { return .string(String(s.prefix(n))) }
            return .string(String(s.suffix(n == .min ? .max : -n)))
        case "indent", "nindent":
            let n = Int(try c.int(0)), text = try c.string(1)
            guard n >= 0 else { throw .execution("strings: negative Repeat count") }
            let lines = text.utf8.reduce(1) { $1 == 10 ? $0 + 1 : $0 }
            try c.check(lines, times: n)
            try c.check(lines * n + text.utf8.count)
            let pad = String(repeating: " ", count: n)
            let s = pad + text.replacingOccurrences(of: "\n", with: "\n" + pad)
            return .string(name == "nindent" ? "\n" + s : s)
        default: return nil
        }
    }

    /// Integer and float arithmetic and rounding.
    private static func arithmetic(_ c: TemplateCall) throws(TemplateError) -> TemplateValue? {
        let name = c.name, a = c.args
        switch name {
        case "add", "sub", "mul", "div", "mod", "max", "min":
            var acc = try c.int(0)
            for k in 1..<max(a.count, 2) {
                let v = try c.int(k)
                // Go's integers wrap on overflow; they never trap.
                switch name {
                case "add": acc &+= v
                case "sub": acc &-= v
                case "mul": acc &*= v
                case "div": guard v != 0 else { throw .execution("integer divide by zero") }; acc = acc.dividedReportingOverflow(by: v).partialValue
                case "mod": guard v != 0 else { throw .execution("integer divide by zero") }; acc = acc.remainderReportingOverflow(dividingBy: v).partialValue
                case "max": acc = Swift.max(acc, v)
                default: acc = Swift.min(acc, v)
                }
            }
            return .int(acc)
        case "addf", "subf", "mulf", "divf", "maxf", "minf":
            var acc = try c.number(0)
            for k in 1..<max(a.count, 2) {
                let v = try c.number(k)
                switch name {
                case "addf": acc += v
                case "subf": acc -= v
                case "mulf": acc *= v
                case "divf": acc /= v
                case "maxf": acc = Swift.max(acc, v)
                default: acc = Swift.min(acc, v)
                }
            }
            return .float(acc)
        case "ceil": return .float(Foundation.ceil(try c.number(0)))
        case "floor": return .float(Foundation.floor(try c.number(0)))
        case "round":
            let v = try c.number(0)
            let places = a.count > 1 ? Double(try c.int(1)) : 0
            let m = Foundation.pow(10, places)
            return .float((v * m).rounded() / m)
        case "int": return .int(try c.int(0))
        case "float64": return .float(try c.number(0))
        default: return nil
        }
    }

    /// Conversions, encodings, the entry's time, padding and units.
    private static func conversion(_ c: TemplateCall) throws(TemplateError) -> TemplateValue? {
        let name = c.name
        switch name {
        case "toString": return .string(try c.string(0))
        case "urlencode":
            return .string(try c.string(0).addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~"))) ?? "")
        case "urldecode": return .string(try c.string(0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "")
        case "b64enc": return .string(Data(try c.string(0).utf8).base64EncodedString())
        case "b64dec":
            guard let d = Data(base64Encoded: try c.string(0)) else { throw .execution("illegal base64 data") }
            return .string(String(decoding: d, as: UTF8.self))
        case "quote": return .string(goQuoted(try c.string(0)))
        case "squote": return .string("'" + (try c.string(0)) + "'")
        case "unixEpoch": return .int(entry(c).timestamp / 1_000_000_000)
        case "unixEpochMillis": return .int(entry(c).timestamp / 1_000_000)
        case "unixEpochNanos": return .int(entry(c).timestamp)
        case "alignLeft", "alignRight":
            let n = Int(try c.int(0))
            let s = try c.string(1)
            if n < 0 { return .string(s) }
            try c.check(n)
            if s.count >= n { return .string(String(name == "alignLeft" ? s.prefix(n) : s.suffix(n))) }
            let pad = String(repeating: " ", count: n - s.count)
            return .string(name == "alignLeft" ? s + pad : pad + s)
        case "bytes":
            guard let b = ByteSize.parse(try c.string(0).replacingOccurrences(of: " ", with: "")) else { throw .execution("invalid bytes") }
            return .float(Double(b))
        case "duration", "duration_seconds":
            guard let d = GoDuration.parse(try c.string(0)) else { throw .execution("invalid duration") }
            return .float(Double(d) / 1e9)
        case "fromJson": return .string(try c.string(0))
        default: return nil
        }
    }

    /// Refuses a `replace`/`Replace` whose result would exceed the output limit.
    static func checkReplace(_ s: String, _ old: String, _ new: String, _ c: TemplateCall) throws(TemplateError) {
        guard new.utf8.count > old.utf8.count else { return }
        let hits = old.isEmpty ? s.unicodeScalars.count + 1 : s.components(separatedBy: old).count - 1
        try c.check(hits, times: new.utf8.count)
        try c.check(s.utf8.count + hits * new.utf8.count)
    }
}
