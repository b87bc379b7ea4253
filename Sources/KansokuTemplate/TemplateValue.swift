import KansokuCore
import Foundation

/// A value while a template runs: what fields, variables, literals and functions yield.
public enum TemplateValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case float(Double)
    case bool(Bool)
    /// A label set (`.`, `$labels`): the only collection templates read.
    case map([String: String])
    /// Go's missing value, printed `<no value>`.
    case null

    /// How Go's `if`, `and`, `or` and `not` judge a value: empty and zero are false.
    public var truthy: Bool {
        switch self {
        case .string(let s): return !s.isEmpty
        case .int(let i): return i != 0
        case .float(let f): return f != 0
        case .bool(let b): return b
        case .map(let m): return !m.isEmpty
        case .null: return false
        }
    }

    public var isString: Bool { if case .string = self { return true }; return false }

    /// The value as a template prints it, floats laid out as `floats` says.
    public func text(_ floats: FloatLayout) -> String {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .float(let f): return floats.format(f)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "<no value>"
        case .map(let m): return "map[" + m.keys.sorted().map { "\($0):\(m[$0]!)" }.joined(separator: " ") + "]"
        }
    }

    /// The value as a number: numbers and booleans as they are, strings when they read as one.
    public var asDouble: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .float(let f): return f
        case .string(let s): return Double(s.trimmingCharacters(in: .whitespaces))
        case .bool(let b): return b ? 1 : 0
        case .map, .null: return nil
        }
    }

    /// The value as an integer; a float is truncated as Go converts it.
    public var asInt: Int64? {
        switch self {
        case .int(let i): return i
        case .float(let f): return Self.int64(f)
        case .string(let s): return Int64(s.trimmingCharacters(in: .whitespaces)) ?? Double(s).map(Self.int64)
        case .bool(let b): return b ? 1 : 0
        case .map, .null: return nil
        }
    }

    /// Go's float-to-int conversion without the trap: out-of-range and NaN give Int64.min,
    /// as Go does on amd64.
    public static func int64(_ f: Double) -> Int64 {
        guard f.isFinite, f > -9.2e18, f < 9.2e18 else { return .min }
        return Int64(f)
    }
}

/// How floats are printed: Go's `%v`, or Loki's plain decimals.
public enum FloatLayout: Sendable {
    /// `fmt.Sprint`: exponent form below 1e-4 and from 1e6 (`1e+06`), as Prometheus's
    /// templates print `$value`.
    case goPrint
    /// Plain decimals in [1e-4, 1e21), exponent form outside (`1e-05`, `1e+21`): how Loki
    /// writes literals and template values.
    case decimal

    public func format(_ v: Double) -> String {
        switch self {
        case .goPrint: return GoFloat.shortest(v)
        case .decimal:
            let a = abs(v)
            if v.isFinite, v != 0, a >= 1e21 || a < 1e-4 { return GoFloat.exponent(v) }
            return GoFloat.fixed(v)
        }
    }
}

/// Why a template did not compile or did not run.
public enum TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text is not a template; `line` is where the offending action starts (from 1).
    case parse(line: Int, message: String)
    /// Running the template failed (a function's error, the output bound).
    case execution(String)

    public var message: String {
        switch self {
        case .parse(_, let m), .execution(let m): return m
        }
    }

    /// `line:N: message` for a parse error, the message for an execution error.
    public var description: String {
        switch self {
        case .parse(let line, let m): return "line:\(line): \(m)"
        case .execution(let m): return m
        }
    }
}
