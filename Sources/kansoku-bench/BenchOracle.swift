import Foundation
import Synchronization

/// Results that disagree with the peer a bench runs beside (rg, Prometheus). A bench whose
/// answers differ from the oracle's measured the wrong thing, so the run exits 1 after it.
enum BenchOracle {
    private static let found = Mutex<[String]>([])

    static func mismatch(_ suite: String, _ what: String) {
        found.withLock { $0.append("\(suite): \(what)") }
        FileHandle.standardError.write(Data("kansoku-bench \(suite): RESULT MISMATCH: \(what)\n".utf8))
    }

    static var mismatches: [String] { found.withLock { $0 } }
}
