import Foundation

/// Locates `../shared` next to the repository root (derived from this file's path).
enum SharedData {
    static var root: URL? {
        let repo = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        // The repository may be reached through a symlinked dev package; resolve it.
        let resolved = repo.resolvingSymlinksInPath()
        for candidate in [resolved, repo] {
            let shared = candidate.deletingLastPathComponent().appendingPathComponent("shared")
            if FileManager.default.fileExists(atPath: shared.path) { return shared }
        }
        return nil
    }

    static func exposition(_ sub: String) -> URL? {
        guard let root else {
            print("SKIPPED: ../shared not found")
            return nil
        }
        return root.appendingPathComponent("conformance/exposition").appendingPathComponent(sub)
    }

    static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }
}
