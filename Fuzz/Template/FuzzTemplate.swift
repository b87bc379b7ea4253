import KansokuCore
import KansokuLogQL
import KansokuRules
import FuzzSupport

/// Fuzzes the Go template engines: each input is a template, expanded as an alert
/// annotation and, through a LogQL pipeline, as `line_format` and `label_format` over a
/// few log lines.

let alertData = AlertTemplate.Data(labels: ["alertname": "High", "job": "api", "instance": "h:1", "severity": "page"],
                                   value: 0.123456789, externalLabels: ["cluster": "eu"], externalURL: "http://kansoku:3100")

let lines: [(Labels, [UInt8])] = [
    (Labels(["app": "web", "level": "info"]), Array("level=info msg=\"hello world\" status=200 duration=1.5s".utf8)),
    (Labels(["app": "api"]), Array("{\"n\":42,\"msg\":\"ok\",\"nested\":{\"a\":[1,2]}}".utf8)),
    (Labels(["app": "worker", "host": "10.0.0.1"]), Array("ERROR 2024-01-01T00:00:00Z ünïcødé \u{1b}[31mred".utf8)),
]

/// The template as a LogQL double-quoted string literal.
func quoted(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
        switch c {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default: out.unicodeScalars.append(c)
        }
    }
    return out + "\""
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    let source = FuzzSupport.text(data, size)
    if let t = try? AlertTemplate(source) { _ = t.expand(alertData) }
    let q = quoted(source)
    for query in ["{app=~\".+\"} | logfmt | line_format \(q)", "{app=~\".+\"} | json | label_format dst=\(q)"] {
        guard let (_, pipeline) = try? LogQLEngine.pipeline(for: query) else { continue }
        for (i, (labels, line)) in lines.enumerated() {
            _ = pipeline.process(labels: labels, line: line, timestamp: 1_700_000_000_000_000_000 + Int64(i))
        }
    }
    return 0
}

@main struct Main {
    static func main() { FuzzSupport.main(fuzz) }
}
