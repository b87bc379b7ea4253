import Foundation

/// Locates `../shared` next to the repository root (derived from this file's path).
enum SharedData {
    static var root: URL? {
        let file = URL(fileURLWithPath: #filePath)
        // The tests may be reached through a symlinked directory; resolve it too.
        let candidates = [file.resolvingSymlinksInPath(), file].map {
            $0.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        }
        for candidate in candidates {
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
