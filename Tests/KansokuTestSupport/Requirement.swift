public import Foundation
public import Testing

/// Something a test needs from outside the package: the peers' conformance data in
/// `../shared`, a peer program, a Python package, the built binary.
///
/// On a user's clone a missing requirement disables the test, so the runner reports it as
/// skipped (never as passed). Under `CI=true` the same test is not skipped: it fails with
/// the list of what is missing, since CI installs everything (`make test-deps`) and a
/// silently skipped suite would hide a broken setup.
public struct Requirement: Sendable, CustomStringConvertible {
    /// What is needed and how to get it, e.g. "promtool (apt-get install prometheus)".
    public let description: String
    private let check: @Sendable () throws -> Bool

    /// `check` returns whether the requirement is met; it throws when what is there is
    /// unusable (a stale binary), which fails the test even off CI.
    public init(_ description: String, check: @escaping @Sendable () throws -> Bool) {
        self.description = description
        self.check = check
    }

    public func isMet() throws -> Bool { try check() }

    /// Whether the environment declares a CI run (`CI=true`, as CI systems and `.ci/run` set it).
    public static var isCI: Bool {
        let v = (ProcessInfo.processInfo.environment["CI"] ?? "").lowercased()
        return v == "true" || v == "1" || v == "yes"
    }

    /// The repository root (this file is `Tests/KansokuTestSupport/Requirement.swift`).
    public static let repoRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the repository: the peers' test data, present in CI, absent in a clone.
    public static var sharedRoot: URL {
        repoRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }

    /// `../shared/<sub>` when it exists.
    public static func sharedPath(_ sub: String) -> URL? {
        let url = sub.isEmpty ? sharedRoot : sharedRoot.appendingPathComponent(sub)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// `../shared/<sub>` (the whole directory when `sub` is empty).
    public static func shared(_ sub: String = "") -> Requirement {
        Requirement("../shared/\(sub) (peers' conformance data beside the repository, present in CI)") {
            sharedPath(sub) != nil
        }
    }

    /// A program on `PATH`.
    public static func command(_ name: String, install: String) -> Requirement {
        Requirement("\(name) (\(install))") { which(name) != nil }
    }

    /// `python3` able to import every module in `modules`.
    public static func python(_ modules: [String], install: String) -> Requirement {
        Requirement("python3 with \(modules.joined(separator: ", ")) (\(install))") {
            guard let py = which("python3") else { return false }
            let probe = "import " + modules.joined(separator: ", ")
            return (try? runCommand(py, ["-c", probe]))?.status == 0
        }
    }
}

/// The requirements of a test that are not met, thrown from its condition under `CI=true`
/// so the runner records the test as failed with this message.
public struct RequirementsMissing: Error, CustomStringConvertible {
    public let missing: [String]
    public var description: String {
        "CI=true and this test's requirements are missing: \(missing.joined(separator: "; ")). "
            + "`make test-deps` installs the peers; ../shared must be beside the repository."
    }
}

/// A requirement found present but unusable (a binary older than the sources).
public struct RequirementUnusable: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only when every requirement is met; otherwise it is skipped, or fails
    /// under `CI=true`.
    public static func requires(_ requirements: Requirement..., sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        let comment = Comment(rawValue: "needs " + requirements.map(\.description).joined(separator: ", "))
        return .enabled(comment, sourceLocation: sourceLocation) {
            var missing: [String] = []
            for r in requirements where try !r.isMet() { missing.append(r.description) }
            if missing.isEmpty { return true }
            if Requirement.isCI { throw RequirementsMissing(missing: missing) }
            // The runner reports the test as skipped, with the comment naming what is missing.
            return false
        }
    }
}

/// The peers the tests use, each with the Debian or PyPI package `make test-deps` installs.
extension Requirement {
    public static let prometheus = command("prometheus", install: "apt-get install prometheus")
    public static let promtool = command("promtool", install: "apt-get install prometheus")
    public static let alertmanager = command("prometheus-alertmanager", install: "apt-get install prometheus-alertmanager")
    public static let tmux = command("tmux", install: "apt-get install tmux")
    public static let gzip = command("gzip", install: "apt-get install gzip")
    public static let python3 = command("python3", install: "apt-get install python3")
    public static let fiu = Requirement("fiu-run and fiu-ctrl (apt-get install fiu-utils)") {
        which("fiu-run") != nil && which("fiu-ctrl") != nil
    }
    public static let pythonPrometheusClient = python(["prometheus_client"], install: "pip install prometheus-client")
    public static let pythonPrometheusAPIClient = python(["prometheus_api_client"], install: "pip install prometheus-api-client")
    public static let pythonLoggingLoki = python(["logging_loki"], install: "pip install python-logging-loki")
}
