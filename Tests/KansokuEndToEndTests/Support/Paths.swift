import Foundation
import KansokuTestSupport

/// Where the repository, the built binary and the shared test data are.
enum TestPaths {
    /// The repository root, derived from this file's location.
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the repository (present in CI, absent in a user's clone).
    static var shared: URL? { Requirement.sharedPath("") }

    /// Where the binary under test is expected: `$KANSOKU_BIN`, else `.build/debug/kansoku`
    /// (the one `make test` builds; never a release build, which may be older).
    static var binaryPath: URL {
        if let p = ProcessInfo.processInfo.environment["KANSOKU_BIN"], !p.isEmpty { return URL(fileURLWithPath: p) }
        return repoRoot.appendingPathComponent(".build/debug/kansoku")
    }

    /// The `kansoku` binary under test when it is there; tests that need it declare
    /// `.requires(TestPaths.kansoku)`, which also refuses a stale one.
    static var binary: URL? {
        FileManager.default.isExecutableFile(atPath: binaryPath.path) ? binaryPath : nil
    }

    /// The built binary, and not older than the newest file under Sources/: a stale binary
    /// would test code that is no longer there, so it fails the test (off CI too).
    static let kansoku = Requirement("the kansoku binary (swift build; or KANSOKU_BIN)") {
        guard let bin = binary else { return false }
        let built = modificationDate(bin) ?? .distantPast
        if let (newest, file) = newestSource(), newest > built {
            throw RequirementUnusable("\(bin.path) (built \(built)) is older than \(file) (modified \(newest)); "
                + "rebuild it with `swift build` (make test does) or point KANSOKU_BIN at a current build")
        }
        return true
    }

    static func modificationDate(_ url: URL) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
    }

    /// The most recently modified source the binary is built from (Swift and C files under
    /// Sources/, not the benchmark executable's), with its path relative to the root.
    static func newestSource() -> (Date, String)? {
        let sources = repoRoot.appendingPathComponent("Sources")
        guard let e = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: [.contentModificationDateKey, .isRegularFileKey]) else { return nil }
        var best: (Date, String)?
        for case let url as URL in e {
            guard let v = try? url.resourceValues(forKeys: [.contentModificationDateKey, .isRegularFileKey]),
                  v.isRegularFile == true, let d = v.contentModificationDate,
                  ["swift", "c", "h", "cpp"].contains(url.pathExtension),
                  !url.path.contains("/Sources/kansoku-bench/") else { continue }
            if best == nil || d > best!.0 { best = (d, String(url.path.dropFirst(repoRoot.path.count + 1))) }
        }
        return best
    }

    /// A new empty temporary directory.
    static func makeTempDir(_ prefix: String = "kansoku-test") -> URL {
        URL(fileURLWithPath: ScratchDirectory.make(prefix))
    }

    /// The path of an installed command, or nil.
    static func which(_ command: String) -> String? { KansokuTestSupport.which(command) }
}
