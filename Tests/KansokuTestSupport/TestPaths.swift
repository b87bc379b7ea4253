public import Foundation

/// Where the repository, the binary under test, the shared peer data and scratch folders are:
/// the one place every test target asks.
public enum TestPaths {
    /// The repository root.
    public static var repoRoot: URL { Requirement.repoRoot }

    /// `../shared/<sub>` beside the repository (the whole folder when `sub` is empty), or nil on
    /// a user's clone (tests that read it declare `.requires(.shared(...))`, so they are
    /// skipped there and fail in CI).
    public static func shared(_ sub: String = "") -> URL? { Requirement.sharedPath(sub) }

    /// A new empty folder under the test run's scratch root.
    public static func makeTempDir(_ prefix: String = "kansoku-test") -> URL {
        URL(fileURLWithPath: ScratchDirectory.make(prefix))
    }

    /// The path of an installed command, or nil.
    public static func which(_ command: String) -> String? { KansokuTestSupport.which(command) }

    /// Runs a program found on `PATH`: its exit status and combined output; nil when it is missing.
    public static func run(_ program: String, _ args: [String]) -> (status: Int32, output: String)? {
        guard let path = which(program) else { return nil }
        return try? runCommand(path, args)
    }

    public static func read(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    /// The `.yaml` and `.yml` files in `dir` (and below it when `recursive`), sorted by path.
    public static func yamlFiles(in dir: URL, recursive: Bool = false) -> [URL] {
        let fm = FileManager.default
        let all: [URL]
        if recursive {
            all = (fm.enumerator(at: dir, includingPropertiesForKeys: nil)?.allObjects as? [URL] ?? []).filter { !$0.hasDirectoryPath }
        } else {
            all = (try? fm.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? []
        }
        return all.filter { ["yaml", "yml"].contains($0.pathExtension) }.sorted { $0.path < $1.path }
    }

    // MARK: The binary under test

    /// The environment variable that names the binary under test.
    public static let binaryVariable = "KANSOKU_BIN"

    /// Where the binary under test is expected: `$KANSOKU_BIN`, else `.build/debug/kansoku`
    /// (the one `make test` builds; never a release build, which may be older).
    public static var binaryPath: URL {
        if let p = ProcessInfo.processInfo.environment[binaryVariable], !p.isEmpty { return URL(fileURLWithPath: p) }
        return repoRoot.appendingPathComponent(".build/debug/kansoku")
    }

    /// The `kansoku` binary under test when it is there; tests that need it declare
    /// `.requires(TestPaths.kansoku)`, which also refuses a stale one.
    public static var binary: URL? {
        FileManager.default.isExecutableFile(atPath: binaryPath.path) ? binaryPath : nil
    }

    /// The built binary, and not older than the newest file under Sources/: a stale binary
    /// would test code that is no longer there, so it fails the test (off CI too).
    public static let kansoku = Requirement("the kansoku binary (swift build; or \(binaryVariable))") {
        guard let bin = binary else { return false }
        let built = modificationDate(bin) ?? .distantPast
        if let (newest, file) = newestSource(), newest > built {
            throw RequirementUnusable("\(bin.path) (built \(built)) is older than \(file) (modified \(newest)); "
                + "rebuild it with `swift build` (make test does) or point \(binaryVariable) at a current build")
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
        let keys: [URLResourceKey] = [.contentModificationDateKey, .isRegularFileKey]
        guard let e = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: keys) else { return nil }
        var best: (Date, String)?
        for case let url as URL in e {
            guard let v = try? url.resourceValues(forKeys: Set(keys)),
                  v.isRegularFile == true, let d = v.contentModificationDate,
                  ["swift", "c", "h", "cpp"].contains(url.pathExtension),
                  !url.path.contains("/Sources/kansoku-bench/") else { continue }
            if best == nil || d > best!.0 { best = (d, String(url.path.dropFirst(repoRoot.path.count + 1))) }
        }
        return best
    }
}
