import Foundation
import KansokuCore

/// `-o` values of the query commands.
public enum OutputFormat: String, Sendable, CaseIterable {
    /// logcli's default: `ts {labels} line`, labels common to all streams printed once.
    case `default`
    case raw
    case jsonl
    case table
    case json
}

/// Whether to colour output: only on a terminal, never when NO_COLOR is set (no-color.org).
public enum TerminalColor {
    public static func enabled(fileDescriptor: Int32 = 1) -> Bool {
        if let v = ProcessInfo.processInfo.environment["NO_COLOR"], !v.isEmpty { return false }
        if ProcessInfo.processInfo.environment["TERM"] == "dumb" { return false }
        return isatty(fileDescriptor) == 1
    }
}

/// Renders query results for the terminal or for scripts.
public struct ResultPrinter: Sendable {
    public var format: OutputFormat
    public var color: Bool
    public var forward: Bool
    /// Lines as given, stream after stream, instead of merged in time order, each with all
    /// its labels: a live tail prints them in the order the server accepted them.
    public var keepsOrder: Bool

    public init(format: OutputFormat, color: Bool, forward: Bool, keepsOrder: Bool = false) {
        self.format = format
        self.color = color
        self.forward = forward
        self.keepsOrder = keepsOrder
    }

    public func render(_ result: QueryResultModel, write: (String) -> Void) {
        switch result {
        case .streams(let streams): renderStreams(streams, write: write)
        case .vector(let series): renderSeries(series, instant: true, write: write)
        case .matrix(let series): renderSeries(series, instant: false, write: write)
        case .scalar(let p):
            if format == .json || format == .jsonl {
                write("{\"timestamp\":\(formatUnixSeconds(millis: p.timestampMillis)),\"value\":\"\(GoFloat.fixed(p.value))\"}\n")
            } else {
                write("\(GoFloat.fixed(p.value))\n")
            }
        case .string(_, let s): write(s + "\n")
        }
    }

    func renderStreams(_ streams: [QueryResultModel.Stream], write: (String) -> Void) {
        // Merge every stream's lines into one time-ordered listing, as logcli prints them.
        var all: [(Int64, Int, String)] = []
        for (i, s) in streams.enumerated() { for l in s.lines { all.append((l.timestamp, i, l.line)) } }
        if !keepsOrder { all.sort { forward ? ($0.0, $0.1) < ($1.0, $1.1) : ($0.0, $1.1) > ($1.0, $0.1) } }
        switch format {
        case .raw:
            for (_, _, line) in all { write(line + "\n") }
        case .jsonl, .json:
            for (ts, i, line) in all {
                var w = JSONWriter(capacity: line.utf8.count + 128)
                w.beginObject()
                w.key("labels"); w.labels(streams[i].labels)
                w.field("line", line)
                w.field("timestamp", TimeFormatter.rfc3339Nano(ts))
                w.endObject()
                write(String(decoding: w.bytes, as: UTF8.self) + "\n")
            }
        case .default, .table:
            // A live tail prints frame after frame: every line keeps its full labels, since
            // what is common to one frame is not to the next.
            let common = keepsOrder ? Labels() : commonLabels(streams.map(\.labels))
            if streams.count > 1, !common.isEmpty { write(dim("Common labels: \(common)") + "\n") }
            let names = Set(common.map(\.name))
            let own = streams.map { $0.labels.removing(names) }
            let width = own.map { $0.description.count }.max() ?? 0
            for (ts, i, line) in all {
                let lbl = own[i].isEmpty ? "" : own[i].description.padding(toLength: width, withPad: " ", startingAt: 0) + " "
                write("\(dim(TimeFormatter.rfc3339Nano(ts))) \(blue(lbl))\(line)\n")
            }
        }
    }

    func renderSeries(_ series: [QueryResultModel.Series], instant: Bool, write: (String) -> Void) {
        switch format {
        case .json, .jsonl:
            for s in series {
                var w = JSONWriter()
                w.beginObject()
                w.key("metric"); w.labels(s.labels)
                if instant, let p = s.points.first {
                    w.key("value"); w.beginArray(); w.raw(formatUnixSeconds(millis: p.timestampMillis)); w.string(GoFloat.fixed(p.value)); w.endArray()
                } else {
                    w.key("values"); w.beginArray()
                    for p in s.points { w.beginArray(); w.raw(formatUnixSeconds(millis: p.timestampMillis)); w.string(GoFloat.fixed(p.value)); w.endArray() }
                    w.endArray()
                }
                w.endObject()
                write(String(decoding: w.bytes, as: UTF8.self) + "\n")
            }
        case .raw:
            for s in series { for p in s.points { write("\(s.labels) \(GoFloat.fixed(p.value)) \(formatUnixSeconds(millis: p.timestampMillis))\n") } }
        case .default, .table:
            var rows: [[String]] = []
            for s in series {
                for p in s.points {
                    rows.append([s.labels.description, TimeFormatter.rfc3339Nano(p.timestampMillis * 1_000_000), GoFloat.fixed(p.value)])
                }
            }
            write(table(header: ["SERIES", "TIME", "VALUE"], rows: rows))
        }
    }

    /// A plain aligned table with a bold header on colour terminals.
    public func table(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }
        var out = bold(line(header)) + "\n"
        for r in rows { out += line(r) + "\n" }
        return out
    }

    func commonLabels(_ sets: [Labels]) -> Labels {
        guard var common = sets.first?.labels else { return Labels() }
        for s in sets.dropFirst() { common = common.filter { s[$0.name] == $0.value } }
        return Labels(sorted: common)
    }

    func dim(_ s: String) -> String { color ? "\u{1B}[2m\(s)\u{1B}[0m" : s }
    func blue(_ s: String) -> String { color && !s.isEmpty ? "\u{1B}[34m\(s)\u{1B}[0m" : s }
    public func bold(_ s: String) -> String { color ? "\u{1B}[1m\(s)\u{1B}[0m" : s }
}
