import Foundation
import KansokuCore
@testable import KansokuRules
import KansokuTestSupport

enum TestPaths {
    /// The repository root, found from this file with symlinks resolved.
    static let repoRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/<sub>` beside the repository, or nil on a user's clone (tests that read it
    /// declare `.requires(.shared(...))`, so they are skipped there and fail in CI).
    static func shared(_ sub: String) -> URL? { Requirement.sharedPath(sub) }

    static func read(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    static func files(in dir: URL, recursive: Bool = false) -> [URL] {
        let fm = FileManager.default
        if recursive {
            let e = fm.enumerator(at: dir, includingPropertiesForKeys: nil)
            return (e?.allObjects as? [URL] ?? []).filter { !$0.hasDirectoryPath && ["yaml", "yml"].contains($0.pathExtension) }
                .sorted { $0.path < $1.path }
        }
        return ((try? fm.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? [])
            .filter { ["yaml", "yml"].contains($0.pathExtension) }.sorted { $0.path < $1.path }
    }

    /// Runs a program, returning its exit status and combined output; nil when it is missing.
    static func run(_ program: String, _ args: [String]) -> (status: Int32, output: String)? {
        guard let path = which(program) else { return nil }
        return try? runCommand(path, args)
    }

    static func which(_ program: String) -> String? { KansokuTestSupport.which(program) }

    static func tempDir(_ name: String) -> URL {
        URL(fileURLWithPath: ScratchDirectory.make("kansoku-rules-\(name)"))
    }
}
