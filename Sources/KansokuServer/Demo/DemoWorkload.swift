import Foundation
import KansokuCore
import Synchronization

/// A simulated video-streaming service for `kansoku demo`: it writes nginx-style access logs,
/// the API's and the origins' logs to files (which the server tails) and keeps Prometheus
/// metrics (which the server scrapes). Every request carries a `request_id` from nginx through
/// the API to an origin, so one request can be followed across the three. Every
/// `incidentEvery` it has an incident: origin-3 goes bad, 5xx and latency climb, and the API
/// logs the errors that explain it.
public final class DemoWorkload: Sendable {
    public struct Options: Sendable {
        public var directory: String
        public var requestsPerSecond: Int = 40
        /// Seconds from start to the first incident.
        public var firstIncidentAfter: Double = 45
        public var incidentEvery: Double = 600
        public var incidentLength: Double = 240
        /// Share of requests failing during an incident.
        public var incidentErrorRatio: Double = 0.35
        public init(directory: String) { self.directory = directory }
    }

    public let options: Options
    public let accessLogPath: String
    public let appLogPath: String
    public let originLogPath: String
    let metrics = DemoMetrics()
    let started: Double
    private let rng = Mutex(SplitMix64(seed: 0x6b616e736f6b75))

    public init(options: Options) throws {
        self.options = options
        let fm = FileManager.default
        try fm.createDirectory(atPath: options.directory + "/nginx", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: options.directory + "/streaming-api", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: options.directory + "/origin", withIntermediateDirectories: true)
        accessLogPath = options.directory + "/nginx/access.log"
        appLogPath = options.directory + "/streaming-api/app.log"
        originLogPath = options.directory + "/origin/origin.log"
        started = Date().timeIntervalSince1970
    }

    /// Whether an incident is under way `t` seconds after start.
    public func inIncident(at t: Double) -> Bool {
        guard t >= options.firstIncidentAfter else { return false }
        let phase = (t - options.firstIncidentAfter).truncatingRemainder(dividingBy: options.incidentEvery)
        return phase < options.incidentLength
    }

    /// The metrics page in Prometheus text format.
    public func metricsPage() -> String { metrics.render() }

    /// Generates traffic until cancelled, one batch of lines every 100 ms.
    public func run() async throws {
        let access = try AppendingFile(path: accessLogPath)
        let app = try AppendingFile(path: appLogPath)
        let origin = try AppendingFile(path: originLogPath)
        let perTick = max(1, options.requestsPerSecond / 10)
        while !Task.isCancelled {
            let now = Date().timeIntervalSince1970
            let incident = inIncident(at: now - started)
            var accessLines = ""
            var appLines: [(Double, String)] = []
            var originLines: [(Double, String)] = []
            for _ in 0..<perTick {
                let r = makeRequest(now: now, incident: incident)
                accessLines += r.accessLine
                appLines.append(r.appLine)
                originLines.append(r.originLine)
                metrics.observe(handler: r.handler, code: r.status, seconds: r.seconds)
            }
            if !incident, rng.withLock({ $0.next() % 50 == 0 }) {
                appLines.append((now, appLine(now, "INFO", "segment cache warm: hit_ratio=0.97 edge=edge-\(rng.withLock { $0.next() % 8 })")))
            }
            try access.append(accessLines)
            // Each service logs in its own time order; the origin saw these requests up to seconds ago.
            try app.append(appLines.sorted { $0.0 < $1.0 }.map(\.1).joined())
            try origin.append(originLines.sorted { $0.0 < $1.0 }.map(\.1).joined())
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    struct SimulatedRequest {
        var accessLine: String
        /// The API's line and the origin's, each with its time (unix seconds).
        var appLine: (Double, String)
        var originLine: (Double, String)
        var handler: String
        var status: Int
        var seconds: Double
    }

    static let handlers = ["/live/master.m3u8", "/live/seg", "/vod/manifest.mpd", "/api/v1/session", "/api/v1/heartbeat"]
    static let agents = ["AppleCoreMedia/1.0.0 (iPhone; iOS 17.1)", "ExoPlayerLib/2.19.1", "Mozilla/5.0 (SMART-TV; Tizen 7.0)",
                         "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0"]

    func makeRequest(now: Double, incident: Bool) -> SimulatedRequest {
        rng.withLock { rng in
            let handlerIndex = Int(rng.next() % UInt64(Self.handlers.count))
            var path = Self.handlers[handlerIndex]
            if path == "/live/seg" { path = "/live/seg-\(rng.next() % 90_000).ts" }
            let failing = incident && path.hasPrefix("/live") && rng.unit() < options.incidentErrorRatio / 0.6
            let status = failing ? (rng.unit() < 0.7 ? 503 : 504) : (rng.unit() < 0.002 ? 404 : 200)
            var seconds = 0.02 + rng.unit() * 0.08
            if incident { seconds += rng.unit() * (failing ? 2.5 : 0.6) }
            let ip = "10.\(rng.next() % 256).\(rng.next() % 256).\(rng.next() % 256)"
            let bytes = status == 200 ? 800 + Int(rng.next() % 1_800_000) : 157
            let agent = Self.agents[Int(rng.next() % UInt64(Self.agents.count))]
            let upstream = failing ? 3 : Int(rng.next() % 3)
            let id = String(format: "%016llx", rng.next())
            let access = "\(ip) - - [\(Self.nginxTime(now))] \"GET \(path) HTTP/1.1\" \(status) \(bytes) \"-\" \"\(agent)\" rt=\(String(format: "%.3f", seconds)) upstream=origin-\(upstream) request_id=\(id)\n"
            // nginx logs when the answer leaves; the API just before, the origin when the request reached it.
            let received = now - seconds + 0.003
            let answered = now - 0.002
            let app: String
            let originLine: String
            if failing {
                let messages = [
                    ("ERROR", "segment fetch failed: upstream=origin-3 status=\(status) path=\(path) error=\"upstream timed out (110: Connection timed out)\""),
                    ("ERROR", "upstream=origin-3 connection pool exhausted: active=512 waiting=\(200 + rng.next() % 300) error=\"no connection available\""),
                    ("WARN", "retry failed: upstream=origin-3 attempt=2 path=\(path) error=\"upstream timed out\""),
                ]
                let (level, message) = messages[Int(rng.next() % 3)]
                app = appLine(answered, level, message + " request_id=\(id)")
                originLine = appLine(received, "WARN", "origin-3 GET \(path) queued: worker pool exhausted request_id=\(id)")
            } else {
                app = appLine(answered, "INFO", "segment served: upstream=origin-\(upstream) status=\(status) path=\(path) request_id=\(id)")
                originLine = appLine(received, "INFO", "origin-\(upstream) GET \(path) sent \(bytes) bytes request_id=\(id)")
            }
            return SimulatedRequest(accessLine: access, appLine: (answered, app), originLine: (received, originLine), handler: Self.handlers[handlerIndex], status: status, seconds: seconds)
        }
    }

    func appLine(_ now: Double, _ level: String, _ message: String) -> String {
        let ts = TimeFormatter.rfc3339Nano(Int64(now * 1e9))
        return level.isEmpty ? "\(ts) \(message)\n" : "\(ts) \(level) \(message)\n"
    }

    /// `22/Nov/2026:01:02:03 +0000`, nginx's `$time_local` in UTC.
    static func nginxTime(_ t: Double) -> String {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let iso = TimeFormatter.rfc3339Nano(Int64(t) * 1_000_000_000)   // 2026-11-22T01:02:03Z
        let y = iso.prefix(4), m = Int(iso.dropFirst(5).prefix(2)) ?? 1, d = iso.dropFirst(8).prefix(2)
        let hms = iso.dropFirst(11).prefix(8)
        return "\(d)/\(months[m - 1])/\(y):\(hms) +0000"
    }
}


/// Appends text to a file opened once (O_APPEND), as a service writing its log would.
final class AppendingFile: Sendable {
    let fd: Int32
    init(path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard fd >= 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
    }
    func append(_ s: String) throws {
        var s = s
        try s.withUTF8 { buf in
            var off = 0
            while off < buf.count {
                let n = write(fd, buf.baseAddress! + off, buf.count - off)
                guard n > 0 else { throw CocoaError(.fileWriteUnknown) }
                off += n
            }
        }
    }
    deinit { close(fd) }
}
