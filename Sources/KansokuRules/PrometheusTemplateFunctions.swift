import Foundation
import KansokuCore
import KansokuTemplate

/// Prometheus's template functions that need no query access, on top of Go's builtins.
enum PrometheusTemplateFunctions {
    static let language = TemplateLanguage(
        functions: [
            "humanize": TemplateFunction { c throws(TemplateError) in .string(humanize(try c.number(0))) },
            "humanize1024": TemplateFunction { c throws(TemplateError) in
                var v = try c.number(0)
                if v.magnitude < 1 { return .string(g4(v)) }
                var prefix = ""
                for p in ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"] where v.magnitude >= 1024 { prefix = p; v /= 1024 }
                return .string(g4(v) + prefix)
            },
            "humanizePercentage": TemplateFunction { c throws(TemplateError) in .string(g4(try c.number(0) * 100) + "%") },
            "humanizeDuration": TemplateFunction { c throws(TemplateError) in .string(humanizeDuration(try c.number(0))) },
            "humanizeTimestamp": TemplateFunction { c throws(TemplateError) in time(try c.number(0)) },
            "toTime": TemplateFunction { c throws(TemplateError) in time(try c.number(0)) },
            "toUpper": TemplateFunction { c throws(TemplateError) in .string(try c.string(0).uppercased()) },
            "toLower": TemplateFunction { c throws(TemplateError) in .string(try c.string(0).lowercased()) },
            "title": TemplateFunction { c throws(TemplateError) in
                .string(try c.string(0).split(separator: " ", omittingEmptySubsequences: false).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " "))
            },
            "stripPort": TemplateFunction { c throws(TemplateError) in .string(stripPort(try c.string(0))) },
            "stripDomain": TemplateFunction { c throws(TemplateError) in .string(stripDomain(try c.string(0))) },
            "reReplaceAll": TemplateFunction(regexArgument: 0) { c throws(TemplateError) in
                let re = try c.regex(try c.string(0))
                guard let out = re.replaceAll(in: try c.string(2), with: try c.string(1), limit: c.outputLimit) else {
                    try c.check(.max)
                    return .null
                }
                return .string(out)
            },
            "match": TemplateFunction(regexArgument: 0) { c throws(TemplateError) in
                .bool(try c.regex(try c.string(0)).firstMatch(in: try c.string(1)) != nil)
            },
            "safeHtml": TemplateFunction { c throws(TemplateError) in .string(try c.string(0)) },
            "parseDuration": TemplateFunction { c throws(TemplateError) in
                guard let d = PromDuration(try c.string(0)) else { throw .execution("invalid duration") }
                return .float(d.seconds)
            },
        ],
        variables: ["labels", "externalLabels", "externalURL", "value"],
        floats: .goPrint)

    /// `%.4g` as Go prints it.
    static func g4(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
        return String(format: "%.4g", v)
    }

    /// A Unix time in seconds as Go prints a `time.Time` in UTC (`2015-06-23 13:19:44.128
    /// +0000 UTC`), to Prometheus's millisecond precision; NaN and infinities as numbers.
    static func time(_ seconds: Double) -> TemplateValue {
        guard seconds.isFinite else { return .string(g4(seconds)) }
        let ms = TemplateValue.int64(seconds * 1e9) / 1_000_000
        let rfc3339 = TimeFormatter.rfc3339Nano(ms &* 1_000_000)
        return .string(rfc3339.replacingOccurrences(of: "T", with: " ").dropLast() + " +0000 UTC")
    }

    static func stripPort(_ s: String) -> String {
        if s.hasPrefix("["), let e = s.firstIndex(of: "]") { return String(s[s.index(after: s.startIndex)..<e]) }
        if let c = s.lastIndex(of: ":"), s.filter({ $0 == ":" }).count == 1 { return String(s[..<c]) }
        return s
    }

    static func stripDomain(_ s: String) -> String {
        var host = s, port = ""
        if let c = s.lastIndex(of: ":"), s.filter({ $0 == ":" }).count == 1 { host = String(s[..<c]); port = String(s[c...]) }
        if let d = host.firstIndex(of: "."), Double(host) == nil { host = String(host[..<d]) }
        return host + port
    }

    static func humanize(_ value: Double) -> String {
        var v = value
        if v == 0 || v.isNaN || v.isInfinite { return g4(v) }
        var prefix = ""
        if v.magnitude >= 1 {
            for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
                if v.magnitude < 1000 { break }
                prefix = p
                v /= 1000
            }
        } else {
            for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
                if v.magnitude >= 1 { break }
                prefix = p
                v *= 1000
            }
        }
        return g4(v) + prefix
    }

    static func humanizeDuration(_ value: Double) -> String {
        var v = value
        if v.isNaN || v.isInfinite { return g4(v) }
        if v == 0 { return "0s" }
        if v.magnitude >= 1 {
            let sign = v < 0 ? "-" : ""
            v = v.magnitude
            let secs = TemplateValue.int64(v)
            let days = secs / 86_400, hours = secs / 3600 % 24, minutes = secs / 60 % 60
            let seconds = v - Double(secs - secs % 60)
            if days != 0 { return "\(sign)\(days)d \(hours)h \(minutes)m \(g4(seconds))s" }
            if hours != 0 { return "\(sign)\(hours)h \(minutes)m \(g4(seconds))s" }
            if minutes != 0 { return "\(sign)\(minutes)m \(g4(seconds))s" }
            return "\(sign)\(g4(seconds))s"
        }
        var prefix = ""
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v.magnitude >= 1 { break }
            prefix = p
            v *= 1000
        }
        return g4(v) + prefix + "s"
    }
}
