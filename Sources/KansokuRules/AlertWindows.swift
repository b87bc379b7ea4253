public import KansokuCore
import Yams

/// One multi-window burn-rate condition: the share of the error budget that may burn within
/// `longWindow` before alerting, checked over a long and a short window.
public struct BurnRateWindow: Sendable, Hashable {
    public var errorBudgetPercent: Double
    public var shortWindow: PromDuration
    public var longWindow: PromDuration

    public init(errorBudgetPercent: Double, shortWindow: PromDuration, longWindow: PromDuration) {
        self.errorBudgetPercent = errorBudgetPercent
        self.shortWindow = shortWindow
        self.longWindow = longWindow
    }

    /// Burn rate that consumes `errorBudgetPercent` of the budget in `longWindow`:
    /// `(percent / 100) × period / longWindow`, in Sloth's float order (14.4 for 2% / 1h / 30d,
    /// 0.9333333333333333 for 10% / 3d / 28d), so thresholds print identically.
    public func burnFactor(period: PromDuration) -> Double {
        (errorBudgetPercent / 100) * (Double(period.milliseconds) / 3_600_000) / (Double(longWindow.milliseconds) / 3_600_000)
    }
}

/// The four conditions of the Google SRE Workbook's multi-window multi-burn-rate alerts for
/// one SLO period (Sloth's `AlertWindows`).
public struct AlertWindows: Sendable, Hashable {
    public var period: PromDuration
    public var pageQuick: BurnRateWindow
    public var pageSlow: BurnRateWindow
    public var ticketQuick: BurnRateWindow
    public var ticketSlow: BurnRateWindow

    public init(period: PromDuration, pageQuick: BurnRateWindow, pageSlow: BurnRateWindow,
                ticketQuick: BurnRateWindow, ticketSlow: BurnRateWindow) {
        self.period = period
        self.pageQuick = pageQuick
        self.pageSlow = pageSlow
        self.ticketQuick = ticketQuick
        self.ticketSlow = ticketSlow
    }

    /// The Workbook's recommendation (page 2%/1h/5m and 5%/6h/30m, ticket 10%/1d/2h and
    /// 10%/3d/6h) for `period`, which Sloth embeds for 30d and 28d.
    public static func google(period: PromDuration) -> AlertWindows {
        AlertWindows(
            period: period,
            pageQuick: BurnRateWindow(errorBudgetPercent: 2, shortWindow: .minutes(5), longWindow: .hours(1)),
            pageSlow: BurnRateWindow(errorBudgetPercent: 5, shortWindow: .minutes(30), longWindow: .hours(6)),
            ticketQuick: BurnRateWindow(errorBudgetPercent: 10, shortWindow: .hours(2), longWindow: .days(1)),
            ticketSlow: BurnRateWindow(errorBudgetPercent: 10, shortWindow: .hours(6), longWindow: .days(3)))
    }

    /// All distinct short and long windows, shortest first.
    public var windows: [PromDuration] {
        let all = [pageQuick, pageSlow, ticketQuick, ticketSlow].flatMap { [$0.shortWindow, $0.longWindow] }
        return Array(Set(all)).sorted()
    }

    /// The SLI windows Sloth records: the alert windows plus the period itself.
    public var sliWindows: [PromDuration] {
        var w = windows
        if !w.contains(period) { w.append(period) }
        return w
    }
}

/// The alert windows known for each SLO period: the embedded 30d and 28d defaults plus any
/// loaded from `AlertWindows` files. A period without windows is an error, as in Sloth.
public struct AlertWindowsCatalog: Sendable {
    public private(set) var byPeriod: [PromDuration: AlertWindows]

    public init() {
        byPeriod = [.days(30): .google(period: .days(30)), .days(28): .google(period: .days(28))]
    }

    public mutating func add(_ windows: AlertWindows) { byPeriod[windows.period] = windows }

    public func windows(for period: PromDuration) -> AlertWindows? { byPeriod[period] }

    /// Parses a Sloth `AlertWindows` document (`apiVersion: sloth.slok.dev/v1`).
    public static func parse(_ text: String, file: String?) throws(SpecError) -> [AlertWindows] {
        let docs: [Node]
        switch composeDocuments(text, file: file) {
        case .success(let d): docs = d
        case .failure(let e): throw e
        }
        var w = YAMLWalker(file: file)
        var out: [AlertWindows] = []
        for doc in docs {
            guard let root = w.mapping(doc, "AlertWindows document") else { continue }
            if root["kind"]?.string != "AlertWindows" {
                w.fail(root["kind"] ?? doc, "kind must be AlertWindows")
                continue
            }
            if let v = root["apiVersion"]?.string, v != "sloth.slok.dev/v1" {
                w.fail(root["apiVersion"], "apiVersion must be sloth.slok.dev/v1, got \(goQuoted(v))")
            }
            guard let spec = w.mapping(root["spec"], "spec") else {
                w.fail(doc, "spec is required")
                continue
            }
            guard let periodText = w.string(spec["sloPeriod"], "spec.sloPeriod"), let period = PromDuration(periodText), period.milliseconds > 0 else {
                w.fail(spec["sloPeriod"] ?? doc, "spec.sloPeriod must be a duration such as 30d")
                continue
            }
            func window(_ severity: String, _ speed: String) -> BurnRateWindow? {
                let path = "spec.\(severity).\(speed)"
                guard let m = w.mapping(w.mapping(spec[severity], "spec.\(severity)")?[speed], path) else {
                    w.fail(spec[severity] ?? doc, "\(path) is required")
                    return nil
                }
                guard let pct = w.number(m["errorBudgetPercent"], "\(path).errorBudgetPercent"), pct > 0, pct <= 100 else {
                    w.fail(m["errorBudgetPercent"] ?? doc, "\(path).errorBudgetPercent must be in (0, 100]")
                    return nil
                }
                guard let s = m["shortWindow"]?.string.flatMap({ PromDuration($0) }), s.milliseconds > 0 else {
                    w.fail(m["shortWindow"] ?? doc, "\(path).shortWindow must be a duration")
                    return nil
                }
                guard let l = m["longWindow"]?.string.flatMap({ PromDuration($0) }), l.milliseconds > 0 else {
                    w.fail(m["longWindow"] ?? doc, "\(path).longWindow must be a duration")
                    return nil
                }
                if s >= l { w.fail(m["shortWindow"], "\(path).shortWindow must be shorter than longWindow") }
                return BurnRateWindow(errorBudgetPercent: pct, shortWindow: s, longWindow: l)
            }
            let pq = window("page", "quick"), ps = window("page", "slow")
            let tq = window("ticket", "quick"), ts = window("ticket", "slow")
            if let pq, let ps, let tq, let ts {
                out.append(AlertWindows(period: period, pageQuick: pq, pageSlow: ps, ticketQuick: tq, ticketSlow: ts))
            }
        }
        if !w.issues.isEmpty { throw SpecError(w.issues) }
        return out
    }
}
