/// How many colours the terminal shows, from COLORTERM/TERM; `none` when NO_COLOR is set.
public enum ColorDepth: Sendable {
    case none, ansi16, palette256, truecolor

    public static func detect(environment: [String: String]) -> ColorDepth {
        if let v = environment["NO_COLOR"], !v.isEmpty { return .none }
        let colorterm = environment["COLORTERM"]?.lowercased() ?? ""
        if colorterm == "truecolor" || colorterm == "24bit" { return .truecolor }
        let term = environment["TERM"] ?? ""
        if term == "dumb" { return .none }
        if term.contains("256color") { return .palette256 }
        return .ansi16
    }
}

/// Turns the difference between the last frame and the next into escape sequences: only
/// changed cells are written, with cursor moves skipped for runs and SGR only on change.
public struct Renderer: Sendable {
    public var depth: ColorDepth
    private var previous: ScreenBuffer?

    public init(depth: ColorDepth) { self.depth = depth }

    /// Forgets the last frame so the next one is drawn whole (after a resize or redraw).
    public mutating func invalidate() { previous = nil }

    /// The bytes that turn the screen into `frame`.
    public mutating func render(_ frame: ScreenBuffer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        let full = previous == nil || previous!.width != frame.width || previous!.height != frame.height
        if full { out.append(contentsOf: "\u{1B}[0m\u{1B}[2J".utf8) }
        var cursor: (x: Int, y: Int)? = nil
        var style: CellStyle? = nil
        for y in 0..<frame.height {
            for x in 0..<frame.width {
                let cell = frame[x, y]
                if !full, let prev = previous, prev[x, y] == cell { continue }
                if cell.text.isEmpty { continue }   // right half of a wide grapheme
                if cursor == nil || cursor! != (x, y) {
                    out.append(contentsOf: "\u{1B}[\(y + 1);\(x + 1)H".utf8)
                }
                if style != cell.style {
                    out += sgr(cell.style)
                    style = cell.style
                }
                out.append(contentsOf: cell.text.utf8)
                cursor = (x + (cell.text.utf8.count == 1 ? 1 : CharWidth.of(cell.text)), y)
            }
        }
        if style != nil { out.append(contentsOf: "\u{1B}[0m".utf8) }
        previous = frame
        return out
    }

    func sgr(_ s: CellStyle) -> [UInt8] {
        var codes = ["0"]
        if s.bold { codes.append("1") }
        if s.dim { codes.append("2") }
        if s.underline { codes.append("4") }
        if s.reverse { codes.append("7") }
        if depth != .none {
            if let c = color(s.fg, foreground: true) { codes.append(c) }
            if let c = color(s.bg, foreground: false) { codes.append(c) }
        }
        return Array("\u{1B}[\(codes.joined(separator: ";"))m".utf8)
    }

    func color(_ c: TermColor, foreground: Bool) -> String? {
        switch c {
        case .default: return nil
        case .ansi(let n):
            let base = foreground ? (n < 8 ? 30 : 90) : (n < 8 ? 40 : 100)
            return String(base + Int(n % 8))
        case .palette(let n):
            if depth == .ansi16 { return color(.ansi(n < 16 ? n : 7), foreground: foreground) }
            return "\(foreground ? 38 : 48);5;\(n)"
        case .rgb(let r, let g, let b):
            switch depth {
            case .truecolor: return "\(foreground ? 38 : 48);2;\(r);\(g);\(b)"
            case .palette256:
                let q = { (v: UInt8) in Int((Double(v) / 255 * 5).rounded()) }
                return "\(foreground ? 38 : 48);5;\(16 + 36 * q(r) + 6 * q(g) + q(b))"
            default:
                let n = UInt8((r > 127 ? 1 : 0) | (g > 127 ? 2 : 0) | (b > 127 ? 4 : 0))
                return color(.ansi(n), foreground: foreground)
            }
        }
    }
}
