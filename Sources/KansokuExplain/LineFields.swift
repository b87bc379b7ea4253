#if canImport(Glibc)
import Glibc
#endif
import KansokuCore

/// Fields parsed from a line without being told its format: JSON objects, nginx/Apache
/// combined access logs (with `key=value` extensions such as `rt=` and `upstream=` after the
/// user agent), and logfmt for everything else. A field gets the name LogQL's `json`, `pattern`
/// and `logfmt` stages would give it. Lines are read on their bytes: the ranking reads every
/// sampled line, so it must not build strings per line.
public struct LineFields: Sendable {
    public init() {}

    /// The layout `line` is read as.
    public enum Layout: String, Sendable { case json, access, logfmt }

    /// Which parser stage gave a field. Within one stage the first of a repeated name counts;
    /// a later stage's value replaces an earlier one's, as in a LogQL pipeline.
    enum Stage: Int8 { case json, pattern, logfmt }

    public static func layout(of line: [UInt8]) -> Layout { line.withUnsafeBytes { layout(of: $0) } }

    /// The layout of a line from its first bytes: `{` is JSON; an IP or host, two fields and a
    /// `[time]` followed by a quoted request is an access log; anything else logfmt.
    public static func layout(of line: UnsafeRawBufferPointer) -> Layout {
        var i = 0
        while i < line.count, line[i] == 0x20 { i += 1 }
        if i < line.count, line[i] == UInt8(ascii: "{") { return .json }
        // `host ident user [` then `] "`: three space-separated words before the bracket.
        var spaces = 0
        while i < line.count, line[i] != UInt8(ascii: "["), spaces <= 3 {
            if line[i] == 0x20 { spaces += 1 }
            i += 1
        }
        guard spaces == 3, i < line.count, i > 0, line[i - 1] == 0x20 else { return .logfmt }
        while i < line.count, line[i] != UInt8(ascii: "]") { i += 1 }
        return i + 2 < line.count && line[i + 1] == 0x20 && line[i + 2] == UInt8(ascii: "\"") ? .access : .logfmt
    }

    /// The fields of `line` as (name, value), without empty values or LogQL's error labels.
    public func fields(of line: String) -> [(name: String, value: String)] {
        var out: [(name: String, value: String, stage: Stage)] = []
        var line = line
        line.withUTF8 { buf in
            let bytes = UnsafeRawBufferPointer(buf)
            var json = JSONFields()
            scan(bytes, layout: Self.layout(of: bytes), json: &json) { name, value, stage in
                let n = String(decoding: name, as: UTF8.self), v = String(decoding: value, as: UTF8.self)
                if let i = out.firstIndex(where: { $0.name == n }) {
                    if out[i].stage != stage { out[i] = (n, v, stage) }
                } else {
                    out.append((n, v, stage))
                }
            }
        }
        return out.map { ($0.name, $0.value) }
    }

    /// Calls `field` with each field's name and value. `layout` is the line's stream's layout
    /// (found once per stream): a line that does not fit it is read as its own layout says.
    /// Names may repeat (see `Stage`); empty values, `-` and `__`-prefixed names are left out.
    /// `json` holds the buffers JSON lines are read with, kept by the caller across lines.
    func scan(_ line: UnsafeRawBufferPointer, layout: Layout, json: inout JSONFields,
              _ field: (_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, _ stage: Stage) -> Void) {
        switch layout {
        case .json:
            guard Self.firstByte(line) == UInt8(ascii: "{") else { return scan(line, layout: Self.layout(of: line), json: &json, field) }
            json.scan(line) { name, value in Self.emit(name, value, .json, field) }
        case .access:
            guard let extensions = AccessLog.scan(line, { name, value in Self.emit(name, value, .pattern, field) }) else {
                return scan(line, layout: .logfmt, json: &json, field)
            }
            scanLogfmt(UnsafeRawBufferPointer(rebasing: line[extensions...]), field)
        case .logfmt:
            scanLogfmt(line, field)
        }
    }

    /// Logfmt as LogQL's non-strict `logfmt` stage reads it (KansokuCore's scanner): `key=value`
    /// and `key="quoted"` pairs; bare words and stray quotes are skipped. A line with no `=` has
    /// no field, so it is not scanned at all.
    func scanLogfmt(_ line: UnsafeRawBufferPointer, _ field: (UnsafeRawBufferPointer, UnsafeRawBufferPointer, Stage) -> Void) {
        guard Self.contains(line, UInt8(ascii: "=")) else { return }
        var scanner = LogfmtScanner(line)
        var decoded: [UInt8] = []
        while let pair = try? scanner.next() {
            let key = UnsafeRawBufferPointer(rebasing: line[pair.key])
            if pair.escaped {
                decoded.removeAll(keepingCapacity: true)
                scanner.appendValue(of: pair, to: &decoded)
                decoded.withUnsafeBytes { Self.emitSanitised(key, $0, .logfmt, field) }
            } else {
                Self.emitSanitised(key, UnsafeRawBufferPointer(rebasing: line[pair.value]), .logfmt, field)
            }
        }
    }

    /// A logfmt key as a label name: bytes outside `[A-Za-z0-9_]` become `_`, and a leading
    /// digit gets a `_` before it (LogQL's rule), in a stack buffer when anything changes.
    private static func emitSanitised(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, _ stage: Stage,
                                      _ field: (UnsafeRawBufferPointer, UnsafeRawBufferPointer, Stage) -> Void) {
        if !isDigit(key[0]), key.allSatisfy(isIdentChar) { return emit(key, value, stage, field) }
        let lead = isDigit(key[0]) ? 1 : 0
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: key.count + lead) { buf in
            if lead == 1 { buf[0] = UInt8(ascii: "_") }
            for (k, b) in key.enumerated() { buf[k + lead] = isIdentChar(b) ? b : UInt8(ascii: "_") }
            emit(UnsafeRawBufferPointer(buf), value, stage, field)
        }
    }

    private static func emit(_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, _ stage: Stage,
                             _ field: (UnsafeRawBufferPointer, UnsafeRawBufferPointer, Stage) -> Void) {
        if value.isEmpty || (value.count == 1 && value[0] == UInt8(ascii: "-")) { return }
        if name.count >= 2, name[0] == UInt8(ascii: "_"), name[1] == UInt8(ascii: "_") { return }
        field(name, value, stage)
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
    static func isIdentChar(_ b: UInt8) -> Bool { (b | 0x20) >= 97 && (b | 0x20) <= 122 || b == 95 || isDigit(b) }

    static func firstByte(_ line: UnsafeRawBufferPointer) -> UInt8? {
        var i = 0
        while i < line.count, line[i] == 0x20 { i += 1 }
        return i < line.count ? line[i] : nil
    }

    static func contains(_ line: UnsafeRawBufferPointer, _ byte: UInt8) -> Bool {
        guard let base = line.baseAddress, !line.isEmpty else { return false }
        return memchr(base, Int32(byte), line.count) != nil
    }
}
