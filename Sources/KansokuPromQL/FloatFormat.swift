/// Sample times as Prometheus's HTTP API prints them (values: `GoFloat` in KansokuCore).
public enum PromQLFloatFormat {
    /// A timestamp in milliseconds as the HTTP API writes it: unix seconds with the
    /// milliseconds as exactly three decimals when not zero (`1435781451.781`, `1435781451.500`,
    /// `1435781451`), which JSON readers take as a number.
    public static func apiTimestamp(_ ms: Int64) -> String {
        var out = ms < 0 ? "-" : ""
        let t = ms < 0 ? -ms : ms
        out += String(t / 1000)
        let fraction = t % 1000
        if fraction != 0 {
            out += "."
            if fraction < 100 { out += "0" }
            if fraction < 10 { out += "0" }
            out += String(fraction)
        }
        return out
    }
}
