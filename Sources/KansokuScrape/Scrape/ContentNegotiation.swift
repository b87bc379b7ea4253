/// How a scrape asks for and recognizes exposition formats.
public enum ContentNegotiation {
    /// The Accept header sent with every scrape: OpenMetrics preferred, text 0.0.4 as fallback,
    /// in Prometheus's weighting. Formats Kansoku does not parse (protobuf, text 1.0.0 with
    /// quoted UTF-8 names) are not offered.
    public static let acceptHeader =
        "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,"
        + "text/plain;version=0.0.4;q=0.3,*/*;q=0.2"

    /// The format of a response from its Content-Type; nil when the type is missing or
    /// unknown (the caller falls back to text 0.0.4, as Prometheus 2 does).
    public static func format(contentType: String?) -> ExpositionFormat? {
        guard let contentType else { return nil }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first?
            .trimmingCharacters(in: " \t").lowercased() ?? ""
        switch mediaType {
        case "application/openmetrics-text": return .openMetrics
        case "text/plain": return .prometheusText
        default: return nil
        }
    }

    /// What `/metrics` should answer to a request's Accept header: OpenMetrics when the client
    /// lists it with a weight at least that of text/plain, text 0.0.4 otherwise.
    public static func responseFormat(accept: String?) -> ExpositionFormat {
        guard let accept else { return .prometheusText }
        var openMetrics = -1.0, text = -1.0
        for part in accept.split(separator: ",") {
            let params = part.split(separator: ";").map { $0.trimmingCharacters(in: " \t") }
            guard let media = params.first?.lowercased() else { continue }
            var q = 1.0
            for p in params.dropFirst() where p.hasPrefix("q=") { q = Double(p.dropFirst(2)) ?? 1 }
            if media == "application/openmetrics-text" { openMetrics = max(openMetrics, q) }
            if media == "text/plain" || media == "*/*" { text = max(text, q) }
        }
        return openMetrics > 0 && openMetrics >= text ? .openMetrics : .prometheusText
    }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s.removeFirst() }
        while let l = s.last, set.contains(l) { s.removeLast() }
        return String(s)
    }
}
