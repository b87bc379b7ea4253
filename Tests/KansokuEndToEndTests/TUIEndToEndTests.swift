import Foundation
import KansokuTestSupport
import Testing

/// The dashboard for real: a demo server with an incident, `kansoku tui` in a tmux pane,
/// the drill-down keys sent, the screen read back, and the terminal restored after `q`.
@Suite(.serialized) struct TUIEndToEndTests {
    /// Runs tmux through `/bin/sh` with posix_spawn and waitpid, its output in a file:
    /// `new-session` starts the tmux server, which inherits descriptors and must not be waited on.
    func tmux(_ args: String...) throws -> String {
        let out = NSTemporaryDirectory() + "tmux-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let quoted = args.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let command = "\(TestPaths.which("tmux")!) \(quoted) </dev/null >\(out) 2>&1"
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup(command), nil]
        defer { for a in argv { free(a) } }
        guard posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ) == 0 else { return "" }
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        return (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    }

    func waitFor(_ session: String, timeout: TimeInterval, _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var screen = ""
        while Date() < deadline {
            screen = try tmux("capture-pane", "-t", session, "-p")
            if condition(screen) { return screen }
            usleep(500_000)
        }
        return screen
    }

    /// The window bar row of the first WHAT CHANGED value (the first line below the heading with a share).
    static func firstChange(_ screen: String) -> String? {
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
        guard let h = lines.firstIndex(where: { $0.contains("WHAT CHANGED") }) else { return nil }
        return lines[(h + 1)...].prefix(4).first { $0.contains("%") && $0.contains("█") }.map(String.init)
    }

    /// The rows of a request's timeline: service and offset in seconds.
    static func timeline(_ screen: String) -> [(service: String, offset: Double)] {
        let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
        guard let h = lines.firstIndex(where: { $0.contains("SERVICE") && $0.contains("OFFSET") }) else { return [] }
        return lines[(h + 1)...].compactMap { line in
            let words = line.split(separator: " ")
            guard words.count >= 3, words[1].hasPrefix("+"), words[1].hasSuffix("s"),
                  let offset = Double(words[1].dropFirst().dropLast()) else { return nil }
            return (String(words[0]), offset)
        }
    }

    @Test(.requires(TestPaths.kansoku, .tmux))
    func drillDownFromBurningSLOToAccessLogErrors() throws {
        let bin = try #require(TestPaths.binary)
        let dir = TestPaths.makeTempDir("tui-e2e")
        let demo = try ServerProcess(binary: bin, dataDir: dir.appendingPathComponent("data"),
                                     subcommand: ["demo", "--no-tui", "--first-incident", "3"])
        defer { demo.stop() }
        let session = "kansoku-e2e-\(getpid())"
        _ = try tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "48",
                     "env TERM=xterm-256color \(bin.path) tui --addr \(demo.addr)")
        defer { _ = try? tmux("kill-session", "-t", session) }
        _ = try tmux("set-option", "-t", session, "remain-on-exit", "on")

        // The incident burns the budget: the SLO table shows it firing, the alert is listed.
        let burning = try waitFor(session, timeout: 120) { $0.contains("FIRING page") && $0.contains("StreamingPlaybackAvailability") }
        #expect(burning.contains("streaming/playback-availability"), "\(burning)")
        #expect(burning.contains("FIRING page"), "\(burning)")
        #expect(burning.contains("StreamingPlaybackAvailability"), "\(burning)")

        // Enter on the burning SLO: what changed in its service's error lines, then their patterns.
        // The first row names the bad origin: every error line carries it, no other line does.
        _ = try tmux("send-keys", "-t", session, "Enter")
        let changed = try waitFor(session, timeout: 60) { Self.firstChange($0) != nil && $0.contains("COUNT") }
        print("--- page → Enter: what changed\n\(changed)")
        #expect(changed.contains("logs over the burning window"), "\(changed)")
        #expect(Self.firstChange(changed)?.contains("upstream=origin-3") == true, "\(changed)")
        #expect(changed.contains("upstream"), "\(changed)")

        // Enter on that row filters to it: the query shows the filter and the view runs again.
        _ = try tmux("send-keys", "-t", session, "Enter")
        let filtered = try waitFor(session, timeout: 60) {
            $0.contains(#"| upstream="origin-3""#) && Self.firstChange($0) != nil && !$0.contains("upstream=origin-3 ")
        }
        print("--- Enter on the first value: filtered\n\(filtered)")
        #expect(filtered.contains(#"{service="streaming"} | upstream="origin-3""#), "\(filtered)")

        // Tab to the patterns, Enter on the top one: its lines, access-log errors among them.
        _ = try tmux("send-keys", "-t", session, "Tab")
        _ = try tmux("send-keys", "-t", session, "Enter")
        // The header shows at once; the lines when their query answers.
        let lines = try waitFor(session, timeout: 30) {
            $0.contains("pattern:") && ($0.contains(" 503 ") || $0.contains(" 504 ") || $0.contains("ERROR") || $0.contains("WARN"))
        }
        print("--- Tab, Enter on the top pattern: its lines\n\(lines)")
        #expect(lines.contains("pattern:"), "\(lines)")
        #expect(lines.contains("request_id="), "\(lines)")

        // f on the first line: that request through nginx, the API and the origin, in time order.
        _ = try tmux("send-keys", "-t", session, "f")
        let followed = try waitFor(session, timeout: 30) { Set(Self.timeline($0).map(\.service)).isSuperset(of: ["nginx", "streaming-api", "origin"]) }
        print("--- f: the request across services\n\(followed)")
        let rows = Self.timeline(followed)
        #expect(Set(rows.map(\.service)).isSuperset(of: ["nginx", "streaming-api", "origin"]), "\(followed)")
        #expect(rows.map(\.offset) == rows.map(\.offset).sorted(), "\(followed)")
        #expect(rows.first?.offset == 0, "\(followed)")
        // The origin saw the request first; nginx logged it last, after the origin's stall.
        #expect(rows.first?.service == "origin" && rows.last?.service == "nginx", "\(followed)")

        // q: the program ends and the normal screen is back (no dashboard left on it).
        _ = try tmux("send-keys", "-t", session, "q")
        let restored = try waitFor(session, timeout: 10) { !$0.contains("Kansoku overview") }
        #expect(!restored.contains("Kansoku overview"), "\(restored)")
        // The screen is restored just before the process exits: wait for the exit itself.
        var dead = ""
        let deadline = Date().addingTimeInterval(10)
        repeat {
            dead = try tmux("display-message", "-t", session, "-p", "#{pane_dead} #{pane_dead_status}")
            if dead.hasPrefix("1") { break }
            usleep(200_000)
        } while Date() < deadline
        // pane_dead is 1 once the program ended; tmux 3.3 leaves pane_dead_status empty, later ones give 0.
        let fields = dead.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(fields.first == "1", "\(dead)")
        #expect(fields.count < 2 || fields[1].isEmpty || fields[1] == "0", "\(dead)")
    }
}
