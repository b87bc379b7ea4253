import KansokuCore
import KansokuTemplate

struct SyntaxMessage: Error { let message: String }

/// Duration syntaxes LogQL accepts: Prometheus's (`1h30m`, `1d`, `1w`) for ranges and
/// offsets, and additionally Go's (`1.5s`, `250µs`) inside label filters.
enum DurationParsing {
    static let promUnits: [(String, Int64)] = [
        ("y", 365 * 86_400_000_000_000), ("w", 7 * 86_400_000_000_000), ("d", 86_400_000_000_000),
        ("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000),
    ]

    /// Prometheus duration to nanoseconds, with Prometheus's error messages.
    static func parseProm(_ s: String) -> Result<Int64, SyntaxMessage> {
        if s.isEmpty { return .failure(SyntaxMessage(message: "empty duration string")) }
        if s == "0" { return .success(0) }
        let b = Array(s.utf8)
        var i = 0, total: Int64 = 0, last = -1
        while i < b.count {
            var n: Int64 = 0, digits = 0
            while i < b.count, Lexer.isDigit(b[i]) {
                n = n &* 10 &+ Int64(b[i] - 48); i += 1; digits += 1
            }
            if digits == 0 { return .failure(SyntaxMessage(message: "not a valid duration string: \(goQuoted(s))")) }
            var u = i
            while u < b.count, !Lexer.isDigit(b[u]) { u += 1 }
            let unit = String(decoding: b[i..<u], as: UTF8.self)
            if unit.isEmpty { return .failure(SyntaxMessage(message: "missing unit in duration \(goQuoted(s))")) }
            guard let idx = promUnits.firstIndex(where: { $0.0 == unit }) else {
                return .failure(SyntaxMessage(message: "unknown unit \(goQuoted(unit)) in duration \(goQuoted(s))"))
            }
            if idx <= last { return .failure(SyntaxMessage(message: "not a valid duration string: \(goQuoted(s))")) }
            last = idx
            total = total &+ n &* promUnits[idx].1
            i = u
        }
        return .success(total)
    }

    /// Prometheus syntax first, then Go's (what Loki's lexer does for DURATION tokens).
    static func parseAny(_ s: String) -> Int64? {
        if case .success(let ns) = parseProm(s) { return ns }
        return GoDuration.parse(s)
    }
}

import Foundation

func formatFixed(_ v: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", v) }

/// A float as Loki writes literals and template values: shortest round-trip digits, in
/// exponent form outside [1e-4, 1e21) (`1e-05`, `1e+21`) and plain decimals inside.
func goFloat(_ v: Double) -> String { FloatLayout.decimal.format(v) }
