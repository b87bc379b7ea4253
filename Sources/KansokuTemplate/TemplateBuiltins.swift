import KansokuCore
import Foundation

/// Go's builtin template functions, which every template language has.
enum TemplateBuiltins {
    static let functions: [String: TemplateFunction] = {
        var f: [String: TemplateFunction] = [
            "and": TemplateFunction { c in c.args.first { !$0.truthy } ?? c.args.last ?? .null },
            "or": TemplateFunction { c in c.args.first { $0.truthy } ?? c.args.last ?? .null },
            "not": TemplateFunction { c throws(TemplateError) in .bool(!(try c.arg(0)).truthy) },
            "eq": TemplateFunction { c throws(TemplateError) in
                let x = try c.arg(0)
                _ = try c.arg(1)
                return .bool(c.args.dropFirst().contains { compare(x, $0, c) == 0 })
            },
            "len": TemplateFunction { c throws(TemplateError) in
                let v = try c.arg(0)
                if case .map(let m) = v { return .int(Int64(m.count)) }
                return .int(Int64(c.text(v).utf8.count))
            },
            // A missing key gives the map's zero value, as Go's `index` does.
            "index": TemplateFunction { c throws(TemplateError) in
                guard case .map(let m) = try c.arg(0) else { throw .execution("index of untyped nil") }
                return .string(m[try c.string(1)] ?? "")
            },
            "print": TemplateFunction { c in .string(sprint(c.args, c)) },
            "println": TemplateFunction { c in .string(c.args.map(c.text).joined(separator: " ") + "\n") },
            "printf": TemplateFunction { c throws(TemplateError) in .string(try GoPrintf.format(try c.string(0), Array(c.args.dropFirst()), c)) },
            "html": TemplateFunction { c in .string(htmlEscape(sprint(c.args, c))) },
            "js": TemplateFunction { c in .string(jsEscape(sprint(c.args, c))) },
            "urlquery": TemplateFunction { c in .string(queryEscape(sprint(c.args, c))) },
        ]
        let orderings: [(String, @Sendable (Int) -> Bool)] = [
            ("ne", { $0 != 0 }), ("lt", { $0 < 0 }), ("le", { $0 <= 0 }), ("gt", { $0 > 0 }), ("ge", { $0 >= 0 }),
        ]
        for (name, holds) in orderings {
            f[name] = TemplateFunction { c throws(TemplateError) in .bool(holds(compare(try c.arg(0), try c.arg(1), c))) }
        }
        return f
    }()

    /// Numbers compare as numbers (a string that reads as one too, unless both are strings),
    /// everything else as text.
    static func compare(_ x: TemplateValue, _ y: TemplateValue, _ c: TemplateCall) -> Int {
        if !(x.isString && y.isString), let a = x.asDouble, let b = y.asDouble { return a < b ? -1 : a > b ? 1 : 0 }
        let a = c.text(x), b = c.text(y)
        return a < b ? -1 : a > b ? 1 : 0
    }

    /// `fmt.Sprint`: a space between two operands when neither is a string.
    static func sprint(_ args: [TemplateValue], _ c: TemplateCall) -> String {
        var out = ""
        for (k, a) in args.enumerated() {
            if k > 0, !a.isString, !args[k - 1].isString { out += " " }
            out += c.text(a)
        }
        return out
    }

    /// `template.HTMLEscapeString`.
    static func htmlEscape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "'": out += "&#39;"
            case "\"": out += "&#34;"
            case "\0": out += "\u{FFFD}"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// `template.JSEscapeString`.
    static func jsEscape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\"": out += "\\\""
            case "<": out += "\\u003C"
            case ">": out += "\\u003E"
            case "&": out += "\\u0026"
            case "=": out += "\\u003D"
            default:
                if u.isASCII ? u.value >= 0x20 : isPrint(u) {
                    out.unicodeScalars.append(u)
                } else {
                    out += String(format: "\\u%04X", u.value)
                }
            }
        }
        return out
    }

    /// Go's `unicode.IsPrint` beyond ASCII: letters, marks, numbers, punctuation, symbols.
    static func isPrint(_ u: Unicode.Scalar) -> Bool {
        switch u.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .spaceSeparator, .lineSeparator, .paragraphSeparator: return false
        default: return true
        }
    }

    /// `url.QueryEscape`.
    static func queryEscape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: " "): out += "+"
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(hex[Int(b >> 4)])
                out.unicodeScalars.append(hex[Int(b & 15)])
            }
        }
        return out
    }
}
