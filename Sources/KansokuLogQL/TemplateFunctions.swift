import KansokuCore
import Foundation

/// Loki's template helpers (the ones its docs list and users reach for).
enum TemplateFunctions {
    static let names: Set<String> = [
        "__line__", "__timestamp__", "lower", "upper", "ToLower", "ToUpper", "title", "Title",
        "trim", "trimAll", "trimPrefix", "trimSuffix", "trimSpace", "Trim", "TrimLeft", "TrimRight",
        "TrimPrefix", "TrimSuffix", "TrimSpace", "replace", "Replace", "regexReplaceAll",
        "regexReplaceAllLiteral", "contains", "hasPrefix", "hasSuffix", "default", "printf", "len",
        "repeat", "substr", "trunc", "indent", "nindent", "eq", "ne", "lt", "gt", "le", "ge",
        "and", "or", "not", "count", "add", "sub", "mul", "div", "mod", "addf", "subf", "mulf",
        "divf", "max", "min", "maxf", "minf", "ceil", "floor", "round", "int", "float64",
        "toString", "urlencode", "urldecode", "b64enc", "b64dec", "unixEpoch", "unixEpochMillis",
        "unixEpochNanos", "alignLeft", "alignRight", "bytes", "duration", "duration_seconds",
        "print", "println", "fromJson", "empty", "coalesce", "quote", "squote", "cat",
    ]

    static func arg(_ a: [TValue], _ i: Int, _ name: String) throws(TemplateExecError) -> TValue {
        guard i < a.count else { throw TemplateExecError(message: "wrong number of args for \(name)") }
        return a[i]
    }

    static func str(_ a: [TValue], _ i: Int, _ name: String) throws(TemplateExecError) -> String {
        try arg(a, i, name).asString
    }

    static func num(_ a: [TValue], _ i: Int, _ name: String) throws(TemplateExecError) -> Double {
        guard let d = try arg(a, i, name).asDouble else { throw TemplateExecError(message: "\(name): invalid number") }
        return d
    }

    static func int(_ a: [TValue], _ i: Int, _ name: String) throws(TemplateExecError) -> Int64 {
        guard let d = try arg(a, i, name).asInt else { throw TemplateExecError(message: "\(name): invalid integer") }
        return d
    }

    static func call(_ name: String, _ a: [TValue], _ ctx: TemplateContext) throws(TemplateExecError) -> TValue {
        if let v = try text(name, a, ctx) { return v }
        if let v = try values(name, a, ctx) { return v }
        if let v = try logic(name, a) { return v }
        if let v = try arithmetic(name, a) { return v }
        if let v = try conversion(name, a, ctx) { return v }
        throw TemplateExecError(message: "function \"\(name)\" not defined")
    }

    /// Case, trimming, replacing and searching in strings.
    private static func text(_ name: String, _ a: [TValue], _ ctx: TemplateContext) throws(TemplateExecError) -> TValue? {
        switch name {
        case "__line__": return .string(ctx.line)
        case "__timestamp__": return .int(ctx.timestamp)
        case "lower", "ToLower": return .string(try str(a, 0, name).lowercased())
        case "upper", "ToUpper": return .string(try str(a, 0, name).uppercased())
        case "title", "Title": return .string(try str(a, 0, name).capitalized)
        case "trimSpace", "TrimSpace", "trim": return .string(try str(a, 0, name).trimmingCharacters(in: .whitespacesAndNewlines))
        case "trimAll": // sprig: trimAll cutset s
            return .string(try str(a, 1, name).trimmingCharacters(in: CharacterSet(charactersIn: try str(a, 0, name))))
        case "Trim": return .string(try str(a, 0, name).trimmingCharacters(in: CharacterSet(charactersIn: try str(a, 1, name))))
        case "TrimLeft":
            let cut = CharacterSet(charactersIn: try str(a, 1, name))
            let s = try str(a, 0, name)
            return .string(String(s.unicodeScalars.drop { cut.contains($0) }))
        case "TrimRight":
            let cut = CharacterSet(charactersIn: try str(a, 1, name))
            var u = Array(try str(a, 0, name).unicodeScalars)
            while let l = u.last, cut.contains(l) { u.removeLast() }
            return .string(String(String.UnicodeScalarView(u)))
        case "trimPrefix": // sprig order: prefix, s
            let p = try str(a, 0, name), s = try str(a, 1, name)
            return .string(s.hasPrefix(p) ? String(s.dropFirst(p.count)) : s)
        case "trimSuffix":
            let p = try str(a, 0, name), s = try str(a, 1, name)
            return .string(s.hasSuffix(p) ? String(s.dropLast(p.count)) : s)
        case "TrimPrefix":
            let s = try str(a, 0, name), p = try str(a, 1, name)
            return .string(s.hasPrefix(p) ? String(s.dropFirst(p.count)) : s)
        case "TrimSuffix":
            let s = try str(a, 0, name), p = try str(a, 1, name)
            return .string(s.hasSuffix(p) ? String(s.dropLast(p.count)) : s)
        case "replace": // sprig: replace old new s
            let s = try str(a, 2, name), old = try str(a, 0, name), new = try str(a, 1, name)
            try checkReplace(s, old, new, ctx)
            return .string(s.replacingOccurrences(of: old, with: new))
        case "Replace": // strings.Replace(s, old, new, n)
            let s = try str(a, 0, name), old = try str(a, 1, name), new = try str(a, 2, name)
            let n = a.count > 3 ? (try int(a, 3, name)) : -1
            try checkReplace(s, old, new, ctx)
            if n < 0 || old.isEmpty { return .string(s.replacingOccurrences(of: old, with: new)) }
            var out = s
            for _ in 0..<n {
                guard let r = out.range(of: old) else { break }
                out.replaceSubrange(r, with: new)
            }
            return .string(out)
        case "regexReplaceAll", "regexReplaceAllLiteral":
            let re = try str(a, 0, name), s = try str(a, 1, name), repl = try str(a, 2, name)
            guard let r = ctx.regexes[re] ?? (try? RE2Regex(re)) else { throw TemplateExecError(message: "\(name): invalid regex \(re)") }
            guard let out = r.replaceAll(in: s, with: repl, literal: name == "regexReplaceAllLiteral", limit: ctx.outputLimit) else {
                try ctx.check(Int.max)
                return .null
            }
            return .string(out)
        case "contains": return .bool(try str(a, 1, name).contains(try str(a, 0, name)))
        case "hasPrefix": return .bool(try str(a, 1, name).hasPrefix(try str(a, 0, name)))
        case "hasSuffix": return .bool(try str(a, 1, name).hasSuffix(try str(a, 0, name)))
        default: return nil
        }
    }

    /// Defaults, printing, lengths and slicing.
    private static func values(_ name: String, _ a: [TValue], _ ctx: TemplateContext) throws(TemplateExecError) -> TValue? {
        switch name {
        case "default":
            let d = try arg(a, 0, name)
            guard a.count > 1 else { return d }
            return a[1].truthy ? a[1] : d
        case "coalesce": return a.first { $0.truthy } ?? TValue.null
        case "empty": return .bool(!(try arg(a, 0, name)).truthy)
        case "printf": return .string(try GoPrintf.format(try str(a, 0, name), Array(a.dropFirst()), ctx))
        case "print", "cat": return .string(a.map(\.asString).joined(separator: name == "cat" ? " " : ""))
        case "println": return .string(a.map(\.asString).joined(separator: " ") + "\n")
        case "len":
            let v = try arg(a, 0, name)
            if case .map(let m) = v { return .int(Int64(m.count)) }
            return .int(Int64(v.asString.utf8.count))
        case "count": return .int(Int64(try str(a, 1, name).components(separatedBy: try str(a, 0, name)).count - 1))
        case "repeat":
            let n = Int(try int(a, 0, name)), s = try str(a, 1, name)
            guard n >= 0 else { throw TemplateExecError(message: "strings: negative Repeat count") }
            try ctx.check(n, times: s.utf8.count)
            return .string(String(repeating: s, count: n))
        case "substr":
            let s = Array(try str(a, 2, name).unicodeScalars)
            var st = Int(try int(a, 0, name)), en = Int(try int(a, 1, name))
            if st < 0 { st = 0 }
            if en < 0 || en > s.count { en = s.count }
            if st > en { return .string("") }
            return .string(String(String.UnicodeScalarView(s[st..<en])))
        case "trunc":
            let n = Int(try int(a, 0, name)), s = try str(a, 1, name)
            if n >= 0 { return .string(String(s.prefix(n))) }
            return .string(String(s.suffix(n == .min ? .max : -n)))
        case "indent", "nindent":
            let n = Int(try int(a, 0, name)), text = try str(a, 1, name)
            guard n >= 0 else { throw TemplateExecError(message: "strings: negative Repeat count") }
            let lines = text.utf8.reduce(1) { $1 == 10 ? $0 + 1 : $0 }
            try ctx.check(lines, times: n)
            try ctx.check(lines * n + text.utf8.count)
            let pad = String(repeating: " ", count: n)
            let s = pad + text.replacingOccurrences(of: "\n", with: "\n" + pad)
            return .string(name == "nindent" ? "\n" + s : s)
        default: return nil
        }
    }

    /// Comparisons and `and`/`or`/`not`.
    private static func logic(_ name: String, _ a: [TValue]) throws(TemplateExecError) -> TValue? {
        switch name {
        case "eq":
            let x = try arg(a, 0, name)
            for y in a.dropFirst() where compare(x, y) == 0 { return .bool(true) }
            return .bool(false)
        case "ne": return .bool(compare(try arg(a, 0, name), try arg(a, 1, name)) != 0)
        case "lt": return .bool(compare(try arg(a, 0, name), try arg(a, 1, name)) < 0)
        case "le": return .bool(compare(try arg(a, 0, name), try arg(a, 1, name)) <= 0)
        case "gt": return .bool(compare(try arg(a, 0, name), try arg(a, 1, name)) > 0)
        case "ge": return .bool(compare(try arg(a, 0, name), try arg(a, 1, name)) >= 0)
        case "and": return a.first { !$0.truthy } ?? a.last ?? TValue.null
        case "or": return a.first { $0.truthy } ?? a.last ?? TValue.null
        case "not": return .bool(!(try arg(a, 0, name)).truthy)
        default: return nil
        }
    }

    /// Integer and float arithmetic and rounding.
    private static func arithmetic(_ name: String, _ a: [TValue]) throws(TemplateExecError) -> TValue? {
        switch name {
        case "add", "sub", "mul", "div", "mod", "max", "min":
            var acc = try int(a, 0, name)
            for k in 1..<max(a.count, 2) {
                let v = try int(a, k, name)
                // Go's integers wrap on overflow; they never trap.
                switch name {
                case "add": acc &+= v
                case "sub": acc &-= v
                case "mul": acc &*= v
                case "div": guard v != 0 else { throw TemplateExecError(message: "integer divide by zero") }; acc = acc.dividedReportingOverflow(by: v).partialValue
                case "mod": guard v != 0 else { throw TemplateExecError(message: "integer divide by zero") }; acc = acc.remainderReportingOverflow(dividingBy: v).partialValue
                case "max": acc = Swift.max(acc, v)
                default: acc = Swift.min(acc, v)
                }
            }
            return .int(acc)
        case "addf", "subf", "mulf", "divf", "maxf", "minf":
            var acc = try num(a, 0, name)
            for k in 1..<max(a.count, 2) {
                let v = try num(a, k, name)
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
        case "ceil": return .float(Foundation.ceil(try num(a, 0, name)))
        case "floor": return .float(Foundation.floor(try num(a, 0, name)))
        case "round":
            let v = try num(a, 0, name)
            let places = a.count > 1 ? Double(try int(a, 1, name)) : 0
            let m = Foundation.pow(10, places)
            return .float((v * m).rounded() / m)
        case "int": return .int(try int(a, 0, name))
        case "float64": return .float(try num(a, 0, name))
        default: return nil
        }
    }

    /// Conversions, encodings, the entry's time, padding and units.
    private static func conversion(_ name: String, _ a: [TValue], _ ctx: TemplateContext) throws(TemplateExecError) -> TValue? {
        switch name {
        case "toString": return .string(try str(a, 0, name))
        case "urlencode":
            return .string(try str(a, 0, name).addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~"))) ?? "")
        case "urldecode": return .string(try str(a, 0, name).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "")
        case "b64enc": return .string(Data(try str(a, 0, name).utf8).base64EncodedString())
        case "b64dec":
            guard let d = Data(base64Encoded: try str(a, 0, name)) else { throw TemplateExecError(message: "illegal base64 data") }
            return .string(String(decoding: d, as: UTF8.self))
        case "quote": return .string(goQuoted(try str(a, 0, name)))
        case "squote": return .string("'" + (try str(a, 0, name)) + "'")
        case "unixEpoch": return .int(ctx.timestamp / 1_000_000_000)
        case "unixEpochMillis": return .int(ctx.timestamp / 1_000_000)
        case "unixEpochNanos": return .int(ctx.timestamp)
        case "alignLeft", "alignRight":
            let n = Int(try int(a, 0, name))
            let s = try str(a, 1, name)
            if n < 0 { return .string(s) }
            try ctx.check(n)
            if s.count >= n { return .string(String(name == "alignLeft" ? s.prefix(n) : s.suffix(n))) }
            let pad = String(repeating: " ", count: n - s.count)
            return .string(name == "alignLeft" ? s + pad : pad + s)
        case "bytes":
            guard let b = ByteSize.parse(try str(a, 0, name).replacingOccurrences(of: " ", with: "")) else { throw TemplateExecError(message: "invalid bytes") }
            return .float(Double(b))
        case "duration", "duration_seconds":
            guard let d = GoDuration.parse(try str(a, 0, name)) else { throw TemplateExecError(message: "invalid duration") }
            return .float(Double(d) / 1e9)
        case "fromJson": return .string(try str(a, 0, name))
        default: return nil
        }
    }

    static func compare(_ x: TValue, _ y: TValue) -> Int {
        if let a = x.asDouble, let b = y.asDouble, !(isString(x) && isString(y)) { return a < b ? -1 : a > b ? 1 : 0 }
        let a = x.asString, b = y.asString
        return a < b ? -1 : a > b ? 1 : 0
    }

    static func isString(_ v: TValue) -> Bool { if case .string = v { return true }; return false }

    /// Go's `ReplaceAllString` ($1, ${name} expansion) or its literal variant.
    /// Refuses a replacement whose result would exceed the output limit.
    static func checkReplace(_ s: String, _ old: String, _ new: String, _ ctx: TemplateContext) throws(TemplateExecError) {
        guard new.utf8.count > old.utf8.count else { return }
        let hits = old.isEmpty ? s.unicodeScalars.count + 1 : s.components(separatedBy: old).count - 1
        try ctx.check(hits, times: new.utf8.count)
        try ctx.check(s.utf8.count + hits * new.utf8.count)
    }
}

/// Go's fmt verbs that templates use: %s %d %v %q %f %e %g %x %X %t %% with flags, width
/// and precision.
enum GoPrintf {
    static func format(_ f: String, _ args: [TValue], _ ctx: TemplateContext) throws(TemplateExecError) -> String {
        var out = ""
        var argIndex = 0
        let chars = Array(f.unicodeScalars)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            guard c == "%" else { out.unicodeScalars.append(c); i += 1; continue }
            i += 1
            guard i < chars.count else { out += "%!(NOVERB)"; break }
            if chars[i] == "%" { out += "%"; i += 1; continue }
            var flags = ""
            while i < chars.count, "-+ 0#".unicodeScalars.contains(chars[i]) { flags.unicodeScalars.append(chars[i]); i += 1 }
            var width = ""
            while i < chars.count, chars[i].properties.numericType != nil, chars[i].isASCII { width.unicodeScalars.append(chars[i]); i += 1 }
            var prec: String?
            if i < chars.count, chars[i] == "." {
                i += 1
                var p = ""
                while i < chars.count, chars[i].properties.numericType != nil, chars[i].isASCII { p.unicodeScalars.append(chars[i]); i += 1 }
                prec = p
            }
            guard i < chars.count else { break }
            let verb = chars[i]
            i += 1
            // A width or precision is a size to build: bound it before any padding is made.
            try ctx.check(Int(width) ?? (width.isEmpty ? 0 : .max))
            try ctx.check(prec.map { Int($0) ?? .max } ?? 0)
            try ctx.check(out.utf8.count)
            guard argIndex < args.count else { out += "%!\(verb)(MISSING)"; continue }
            let a = args[argIndex]
            argIndex += 1
            var s: String
            switch verb {
            case "s", "v": s = a.asString
                if let p = prec, let n = Int(p) { s = String(s.prefix(n)) }
            case "q": s = goQuoted(a.asString)
            case "d": s = a.asInt.map { String($0) } ?? "%!d(\(a.asString))"
            case "t": s = a.asString
            case "x", "X":
                if let n = a.asInt, !isString(a) { s = String(n, radix: 16, uppercase: verb == "X") } else {
                    s = a.asString.utf8.map { String(format: verb == "X" ? "%02X" : "%02x", $0) }.joined()
                }
            case "f", "F", "e", "g":
                let d = a.asDouble ?? 0
                let spec = "%" + (prec.map { "." + ($0.isEmpty ? "0" : $0) } ?? (verb == "g" ? "" : ".6")) + String(verb == "F" ? "f" : verb)
                s = String(format: spec, d)
                if verb == "g", prec == nil { s = goFloat(d) }
            default: s = "%!\(verb)(\(a.asString))"
            }
            if let w = Int(width), s.count < w {
                let pad = String(repeating: flags.contains("0") && !flags.contains("-") ? "0" : " ", count: w - s.count)
                s = flags.contains("-") ? s + pad : pad + s
            }
            out += s
        }
        return out
    }

    static func isString(_ v: TValue) -> Bool { if case .string = v { return true }; return false }
}
