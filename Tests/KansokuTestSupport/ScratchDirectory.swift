import Foundation

/// Scratch space for tests. Every directory lives under one root per test process, removed
/// when the process exits, so a test run leaves nothing in the system's temporary folder (a
/// run that crashes leaves its root, named with the process id, for a look at what happened).
public enum ScratchDirectory {
    /// `<tmp>/kansoku-tests-<pid>`, created on first use.
    public static let root: String = {
        let path = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kansoku-tests-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: ScratchDirectory.root) }
        return path
    }()

    /// A new, empty directory `<root>/<prefix>-<random>`.
    public static func make(_ prefix: String) -> String {
        let path = root + "/\(prefix)-\(UInt64.random(in: 0...UInt64.max))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A path under the root that does not exist yet (for a file the test creates).
    public static func path(_ prefix: String) -> String {
        root + "/\(prefix)-\(UInt64.random(in: 0...UInt64.max))"
    }
}
