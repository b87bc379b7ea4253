public import KansokuCore

/// A recording or alerting rule as written in a Prometheus rule file.
public struct RuleSpec: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// `record: <metric name>`
        case recording(String)
        /// `alert: <alert name>`
        case alerting(String)
    }

    public var kind: Kind
    public var expr: String
    public var language: QueryLanguage
    /// Time an alert stays pending before it fires.
    public var forDuration: PromDuration
    /// Time an alert keeps firing after its condition cleared.
    public var keepFiringFor: PromDuration
    public var labels: [String: String]
    public var annotations: [String: String]
    public var position: SourcePosition

    public init(
        kind: Kind, expr: String, language: QueryLanguage = .promql, forDuration: PromDuration = PromDuration(milliseconds: 0),
        keepFiringFor: PromDuration = PromDuration(milliseconds: 0), labels: [String: String] = [:],
        annotations: [String: String] = [:], position: SourcePosition = SourcePosition(line: 1, column: 1)
    ) {
        self.kind = kind
        self.expr = expr
        self.language = language
        self.forDuration = forDuration
        self.keepFiringFor = keepFiringFor
        self.labels = labels
        self.annotations = annotations
        self.position = position
    }

    /// The record or alert name.
    public var name: String {
        switch kind {
        case .recording(let n), .alerting(let n): n
        }
    }

    public var isAlerting: Bool {
        if case .alerting = kind { return true }
        return false
    }
}

/// A rule group: rules evaluated in order at one timestamp every `interval`.
public struct RuleGroupSpec: Sendable, Hashable {
    public var name: String
    /// Evaluation interval; nil means the global interval.
    public var interval: PromDuration?
    /// Evaluate at `now - queryOffset`.
    public var queryOffset: PromDuration?
    /// Maximum series a rule may produce (0 = unlimited); beyond it the rule fails.
    public var limit: Int
    /// Labels added to every rule of the group (rule labels win).
    public var labels: [String: String]
    /// Language chosen for the whole group with `kansoku_language`, if any.
    public var language: QueryLanguage?
    public var rules: [RuleSpec]
    /// The file the group came from.
    public var file: String
    public var position: SourcePosition

    public init(
        name: String, interval: PromDuration? = nil, queryOffset: PromDuration? = nil, limit: Int = 0,
        labels: [String: String] = [:], language: QueryLanguage? = nil, rules: [RuleSpec],
        file: String = "", position: SourcePosition = SourcePosition(line: 1, column: 1)
    ) {
        self.name = name
        self.interval = interval
        self.queryOffset = queryOffset
        self.limit = limit
        self.labels = labels
        self.language = language
        self.rules = rules
        self.file = file
        self.position = position
    }
}

/// Formats a float as Go's `%v` does (`strconv.FormatFloat(f, 'g', -1, 64)`): shortest
/// round-trip digits, exponent form when the decimal exponent is below -4 or at least 6
/// (`1e+06`, `1e-05`), plain decimals otherwise (`0.0009999999999999432`, `14.4`, `30`).
public func formatGoFloat(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
    if v == 0 { return v.sign == .minus ? "-0" : "0" }
    // Swift prints the same shortest digits as Go; only the layout differs.
    var text = "\(v.magnitude)"
    var exp10 = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        exp10 = Int(text[text.index(after: e)...]) ?? 0
        text = String(text[..<e])
    }
    var digits = ""
    var pointAt = text.count
    if let dot = text.firstIndex(of: ".") {
        pointAt = text.distance(from: text.startIndex, to: dot)
        digits = text.replacing(".", with: "")
    } else {
        digits = text
    }
    // Strip leading zeros (moving the point) and trailing zeros.
    while digits.count > 1, digits.first == "0" { digits.removeFirst(); pointAt -= 1 }
    while digits.count > 1, digits.last == "0" { digits.removeLast() }
    let dp = pointAt + exp10  // decimal point position relative to the digits
    let exp = dp - 1
    let sign = v < 0 ? "-" : ""
    if exp < -4 || exp >= 6 {
        var m = String(digits.first!)
        if digits.count > 1 { m += "." + digits.dropFirst() }
        let e = exp < 0 ? "-" : "+"
        let a = abs(exp)
        return sign + m + "e" + e + (a < 10 ? "0\(a)" : "\(a)")
    }
    if dp <= 0 {
        return sign + "0." + String(repeating: "0", count: -dp) + digits
    }
    if dp >= digits.count {
        return sign + digits + String(repeating: "0", count: dp - digits.count)
    }
    let i = digits.index(digits.startIndex, offsetBy: dp)
    return sign + digits[..<i] + "." + digits[i...]
}
