import Foundation
import KansokuTestSupport

/// Where the repository, the built binary and the shared test data are.
enum TestPaths {
    /// The repository root, derived from this file's location.
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the repository (present in CI, absent in a user's clone).
    static var shared: URL? {
        let u = repoRoot.deletingLastPathComponent().appendingPathComponent("shared")
        return FileManager.default.fileExists(atPath: u.path) ? u : nil
    }

    /// The `kansoku` binary under test: `$KANSOKU_BIN`, else `.build/debug/kansoku`.
    static var binary: URL? {
        if let p = ProcessInfo.processInfo.environment["KANSOKU_BIN"] { return URL(fileURLWithPath: p) }
        for dir in [".build/debug", ".build/release"] {
            let u = repoRoot.appendingPathComponent(dir).appendingPathComponent("kansoku")
            if FileManager.default.isExecutableFile(atPath: u.path) { return u }
        }
        return nil
    }

    /// A new empty temporary directory.
    static func makeTempDir(_ prefix: String = "kansoku-test") -> URL {
        URL(fileURLWithPath: ScratchDirectory.make(prefix))
    }

    /// Prints a loud skip notice (tests that need a missing tool or ../shared return after it).
    static func skip(_ why: String) {
        print("SKIPPED: \(why)")
    }

    /// The path of an installed command, or nil.
    static func which(_ command: String) -> String? { KansokuTestSupport.which(command) }
}
