import KansokuCore

/// `kansoku slo status`: each SLO's state read from the Sloth-named series a server records,
/// so it works against any Kansoku (or Prometheus running Sloth's rules).
public enum SLOStatusReport {
    public struct Row: Sendable {
        public var service: String
        public var slo: String
        public var objective: Double
        /// Error ratio over the last 5 minutes.
        public var sliError: Double?
        public var budgetRemaining: Double?
        /// Burn rate per window, in window order.
        public var burnRates: [(window: String, rate: Double?)]
        public var alerts: [String]
    }

    public static let windows = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"]
    public static var header: [String] { ["SERVICE", "SLO", "OBJECTIVE", "SLI", "BUDGET LEFT"] + windows.map { "BURN \($0)" } + ["ALERTS"] }

    public static func fetch(client: KansokuClient) async throws(ClientError) -> [Row] {
        func vector(_ q: String) async throws(ClientError) -> [QueryResultModel.Series] {
            if case .vector(let v) = try await client.promQuery(q, time: TimeParser.currentNanos(), range: nil) { return v }
            return []
        }
        func key(_ l: Labels) -> String { l["sloth_id"] ?? "\(l["sloth_service"] ?? "")-\(l["sloth_slo"] ?? "")" }
        var rows: [String: Row] = [:]
        for s in try await vector("slo:objective:ratio") {
            rows[key(s.labels)] = Row(service: s.labels["sloth_service"] ?? "", slo: s.labels["sloth_slo"] ?? "",
                                      objective: s.points.first?.value ?? .nan, sliError: nil, budgetRemaining: nil,
                                      burnRates: windows.map { ($0, nil) }, alerts: [])
        }
        for s in try await vector("slo:period_error_budget_remaining:ratio") { rows[key(s.labels)]?.budgetRemaining = s.points.first?.value }
        for (i, w) in windows.enumerated() {
            for s in try await vector("slo:sli_error:ratio_rate\(w)") {
                let k = key(s.labels)
                guard let objective = rows[k]?.objective, let v = s.points.first?.value else { continue }
                if w == "5m" { rows[k]?.sliError = v }
                rows[k]?.burnRates[i].rate = objective < 1 ? v / (1 - objective) : nil
            }
        }
        for s in try await vector("ALERTS{alertstate=\"firing\",sloth_id!=\"\"}") {
            rows[key(s.labels)]?.alerts.append("\(s.labels["alertname"] ?? "")/\(s.labels["sloth_severity"] ?? s.labels["severity"] ?? "")")
        }
        return rows.values.sorted { ($0.service, $0.slo) < ($1.service, $1.slo) }
    }

    static func pct(_ v: Double?, digits: Int = 3) -> String {
        guard let v, v.isFinite else { return "-" }
        let s = String(v * 100)
        guard let dot = s.firstIndex(of: ".") else { return s + "%" }
        return String(s[..<(s.index(dot, offsetBy: digits + 1, limitedBy: s.endIndex) ?? s.endIndex)]) + "%"
    }

    public static func cells(_ r: Row, color: Bool) -> [String] {
        func burn(_ v: Double?) -> String {
            guard let v, v.isFinite else { return "-" }
            let text = v < 10 ? String(format2(v)) + "x" : String(Int(v.rounded())) + "x"
            guard color else { return text }
            return v >= 14.4 ? "\u{1B}[31m\(text)\u{1B}[0m" : v >= 1 ? "\u{1B}[33m\(text)\u{1B}[0m" : text
        }
        return [r.service, r.slo, pct(r.objective), pct(r.sliError.map { 1 - $0 }), pct(r.budgetRemaining, digits: 1)]
            + r.burnRates.map { burn($0.rate) } + [r.alerts.isEmpty ? "-" : r.alerts.joined(separator: ",")]
    }

    static func format2(_ v: Double) -> String {
        let r = (v * 100).rounded() / 100
        return GoFloat.fixed(r)
    }

    public static func json(_ rows: [Row]) -> String {
        var w = JSONWriter()
        w.beginArray()
        for r in rows {
            w.beginObject()
            w.field("service", r.service)
            w.field("slo", r.slo)
            w.key("objective"); w.raw(GoFloat.fixed(r.objective))
            w.key("sli"); if let e = r.sliError, e.isFinite { w.raw(GoFloat.fixed(1 - e)) } else { w.null() }
            w.key("budget_remaining"); if let b = r.budgetRemaining, b.isFinite { w.raw(GoFloat.fixed(b)) } else { w.null() }
            w.key("burn_rates"); w.beginObject()
            for b in r.burnRates { w.key(b.window); if let v = b.rate, v.isFinite { w.raw(GoFloat.fixed(v)) } else { w.null() } }
            w.endObject()
            w.key("alerts"); w.beginArray(); for a in r.alerts { w.string(a) }; w.endArray()
            w.endObject()
        }
        w.endArray()
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
