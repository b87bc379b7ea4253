import CKansokuTerm
import Foundation
import KansokuCore
import Synchronization

/// How `kansoku tui` is started.
public struct TUIOptions: Sendable {
    public var addr: String
    public var dashboardPath: String?
    public var tenant: String?
    public init(addr: String, dashboardPath: String?, tenant: String?) {
        self.addr = addr
        self.dashboardPath = dashboardPath
        self.tenant = tenant
    }
}

/// The dashboard's run loop: terminal in raw mode on the alternate screen, keys and timer
/// ticks in, model updates, frames diffed out. The terminal is restored on every way out.
public enum TUIApp {
    enum Event: Sendable {
        case key(Key)
        case tick
        case loaded(DashboardModel)
        case drillLoaded(DrillDown)
        case logViewLoaded(LogView)
        case followLoaded(FollowView)
        case stop
    }

    /// Runs until `q`; returns the exit status (0, or 2 for an unusable dashboard file).
    public static func run(options: TUIOptions) async throws -> Int32 {
        let spec: DashboardSpec
        do {
            if let path = options.dashboardPath, !FileManager.default.fileExists(atPath: path),
               let text = DashboardSpec.embedded(named: path) {
                // `--dashboard service` opens the embedded dashboard of that name.
                spec = try DashboardSpec.parse(text, file: path)
            } else if let path = options.dashboardPath {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    FileHandle.standardError.write(Data("kansoku tui: cannot read \(path)\n".utf8))
                    return 2
                }
                spec = try DashboardSpec.parse(text, file: path)
            } else {
                spec = try DashboardSpec.parse(DashboardSpec.embeddedOverview)
            }
        } catch {
            FileHandle.standardError.write(Data("kansoku tui: invalid dashboard: \(error)\n".utf8))
            return 2
        }
        guard kterm_enter(1) == 0 else {
            FileHandle.standardError.write(Data("kansoku tui: needs a terminal on stdout\n".utf8))
            return 2
        }
        defer { kterm_restore() }
        let loader = DashboardLoader(source: HTTPDataSource(address: options.addr, tenant: options.tenant))
        var model = DashboardModel(spec: spec, address: options.addr)
        var renderer = Renderer(depth: ColorDepth.detect(environment: ProcessInfo.processInfo.environment))
        let (events, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .unbounded)
        let reader = startInputReader(continuation)
        let ticker = Task {
            while !Task.isCancelled {
                continuation.yield(.tick)
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        defer { ticker.cancel(); reader.stop() }

        var loading = false
        var lastLoad = ContinuousClock.now - .seconds(3600)
        func load() {
            guard !loading else { return }
            loading = true
            lastLoad = .now
            let snapshot = model
            Task { continuation.yield(.loaded(await loader.load(snapshot, now: TimeParser.currentNanos()))) }
        }
        var size = terminalSize()
        draw(model, &renderer, size)
        load()
        for await event in events {
            var effects: [Effect] = []
            switch event {
            case .stop:
                return 0
            case .tick:
                if kterm_take_stop() == 1 { return 0 }
                let resized = kterm_take_resize() == 1
                if resized { size = terminalSize(); renderer.invalidate() }
                let refresh = Duration.milliseconds(model.spec.refreshDuration.milliseconds)
                if ContinuousClock.now - lastLoad >= refresh, model.tail || model.lastUpdate == nil { load() }
                let second = model.now / 1_000_000_000
                model.now = TimeParser.currentNanos()
                // An idle tick changes only what shows the time, to the second: draw only then.
                if !resized && model.now / 1_000_000_000 == second { continue }
            case .key(let k):
                effects = DashboardUpdate.handle(k, &model)
            case .loaded(let fresh):
                loading = false
                // Keep what the user changed while the load ran.
                var merged = fresh
                merged.mode = modeAfterLoad(model.mode, fresh.mode)
                merged.focus = model.focus
                merged.selection = model.selection
                merged.queries = model.queries
                merged.tail = model.tail
                merged.wrap = model.wrap
                merged.rangeNanos = model.rangeNanos
                merged.status = model.status
                merged.variables = model.variables.merging(fresh.variables) { mine, _ in mine }
                merged.endTime = model.endTime
                merged.labelBrowsers = mergeLabelBrowsers(model.labelBrowsers, fresh.labelBrowsers)
                model = merged
            case .drillLoaded(var d):
                if case .drill(let current) = model.mode, current.asksSame(as: d) {
                    // Where the user is on the screen stays theirs.
                    d.section = current.section
                    d.changeSelected = min(current.changeSelected, max(0, (d.report?.changes.count ?? 1) - 1))
                    d.selected = min(current.selected, max(0, d.patterns.count - 1))
                    d.openPattern = current.openPattern.flatMap { d.patterns.indices.contains($0) ? $0 : nil }
                    d.scroll = current.scroll
                    model.mode = .drill(d)
                }
            case .followLoaded(let v):
                if case .follow(let current, let back) = model.mode, current.ids == v.ids { model.mode = .follow(v, back: back) }
            case .logViewLoaded(var v):
                if case .logView(let current) = model.mode, current.query == v.query {
                    v.selected = min(current.selected, max(0, v.lines.count - 1))
                    model.mode = .logView(v)
                }
            }
            for e in effects {
                switch e {
                case .quit: return 0
                case .refresh: loading = false; load()
                case .loadDrill(let d): Task { continuation.yield(.drillLoaded(await loader.loadDrill(d))) }
                case .loadLogView(let v): Task { continuation.yield(.logViewLoaded(await loader.loadLogView(v))) }
                case .loadFollow(let v): Task { continuation.yield(.followLoaded(await loader.loadFollow(v))) }
                }
            }
            draw(model, &renderer, size)
        }
        return 0
    }

    /// Browsing state (which label is open) is the user's; names and values come from the load,
    /// values only when they were read for the label open now.
    static func mergeLabelBrowsers(_ mine: [Int: LabelBrowser], _ fresh: [Int: LabelBrowser]) -> [Int: LabelBrowser] {
        var out = mine
        for (i, f) in fresh {
            var b = mine[i] ?? LabelBrowser()
            b.names = f.names
            if f.openName == b.openName { b.values = f.values }
            out[i] = b
        }
        return out
    }

    static func modeAfterLoad(_ current: DashboardModel.Mode, _ loaded: DashboardModel.Mode) -> DashboardModel.Mode { current }

    static func terminalSize() -> (Int, Int) {
        var rows: Int32 = 0, cols: Int32 = 0
        kterm_size(1, &rows, &cols)
        return (Int(cols > 0 ? cols : 80), Int(rows > 0 ? rows : 24))
    }

    static func draw(_ m: DashboardModel, _ r: inout Renderer, _ size: (Int, Int)) {
        let frame = DashboardView.render(m, width: size.0, height: size.1)
        let bytes = r.render(frame)
        bytes.withUnsafeBytes { buf in
            var off = 0
            while off < buf.count {
                let n = write(1, buf.baseAddress! + off, buf.count - off)
                if n <= 0 { break }
                off += n
            }
        }
    }

    /// Reads stdin on its own thread (reads block for up to 100 ms, as raw mode's VTIME says).
    final class InputReader: Sendable {
        let running = Atomic<Bool>(true)
        func stop() { running.store(false, ordering: .relaxed) }
    }

    static func startInputReader(_ c: AsyncStream<Event>.Continuation) -> InputReader {
        let reader = InputReader()
        let thread = Thread {
            var buf = [UInt8](repeating: 0, count: 256)
            while reader.running.load(ordering: .relaxed) {
                let n = read(0, &buf, buf.count)
                if n > 0 {
                    for k in KeyDecoder.decode(Array(buf[0..<n])) { c.yield(.key(k)) }
                } else if n < 0 && errno != EINTR && errno != EAGAIN {
                    c.yield(.stop)
                    return
                }
            }
        }
        thread.start()
        return reader
    }
}
