import Foundation
import KansokuTestSupport
import Testing

/// Locates ../shared/conformance/logql relative to the repository root.
enum Conformance {
    static let directory: String? = Requirement.sharedPath("conformance/logql")?.path

    static let requirement = Requirement.shared("conformance/logql")

    /// Rows of a TSV file that must be there (the test requires ../shared).
    static func requireRows(_ file: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> (rows: [[String]], raw: [[[UInt8]]]) {
        let rows = try #require(Conformance.rows(file), "cannot read \(file)", sourceLocation: sourceLocation)
        let raw = try #require(Conformance.rawRows(file), "cannot read \(file)", sourceLocation: sourceLocation)
        #expect(!rows.isEmpty, "\(file) has no rows", sourceLocation: sourceLocation)
        return (rows, raw)
    }

    /// Rows of a TSV file (header and comments skipped, fields unescaped).
    static func rows(_ file: String) -> [[String]]? {
        guard let dir = directory else { return nil }
        guard let text = try? String(contentsOfFile: dir + "/" + file, encoding: .utf8) else { return nil }
        var out: [[String]] = []
        var sawHeader = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { continue }
            if !sawHeader {
                if line.hasPrefix("#") { continue }
                sawHeader = true
                continue
            }
            out.append(line.split(separator: "\t", omittingEmptySubsequences: false).map { String(decoding: unescapeBytes(String($0)), as: UTF8.self) })
        }
        return out
    }

    /// Raw fields (may hold invalid UTF-8), for the rows that test byte handling.
    static func rawRows(_ file: String) -> [[[UInt8]]]? {
        guard let dir = directory else { return nil }
        guard let text = try? String(contentsOfFile: dir + "/" + file, encoding: .utf8) else { return nil }
        var out: [[[UInt8]]] = []
        var sawHeader = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { continue }
            if !sawHeader {
                if line.hasPrefix("#") { continue }
                sawHeader = true
                continue
            }
            out.append(line.split(separator: "\t", omittingEmptySubsequences: false).map { unescapeBytes(String($0)) })
        }
        return out
    }

    static func unescapeBytes(_ s: String) -> [UInt8] {
        guard s.contains("\\") else { return Array(s.utf8) }
        var bytes: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\"), i + 1 < b.count {
                switch b[i + 1] {
                case UInt8(ascii: "\\"): bytes.append(0x5C); i += 2; continue
                case UInt8(ascii: "t"): bytes.append(0x09); i += 2; continue
                case UInt8(ascii: "n"): bytes.append(0x0A); i += 2; continue
                case UInt8(ascii: "r"): bytes.append(0x0D); i += 2; continue
                case UInt8(ascii: "x"):
                    if i + 3 < b.count, let v = UInt8(String(decoding: b[(i + 2)...(i + 3)], as: UTF8.self), radix: 16) {
                        bytes.append(v); i += 4; continue
                    }
                default: break
                }
            }
            bytes.append(b[i]); i += 1
        }
        return bytes
    }

    static func report(_ file: String, _ passed: Int, _ total: Int) {
        print("CONFORMANCE \(file): \(passed)/\(total)")
    }
}
