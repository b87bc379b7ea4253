/// Colours: the 16 ANSI colours, the 256-colour palette, or 24-bit.
public enum TermColor: Hashable, Sendable {
    case `default`
    case ansi(UInt8)
    case palette(UInt8)
    case rgb(UInt8, UInt8, UInt8)

    public static let red = TermColor.ansi(1), green = TermColor.ansi(2), yellow = TermColor.ansi(3)
    public static let blue = TermColor.ansi(4), magenta = TermColor.ansi(5), cyan = TermColor.ansi(6)
    public static let gray = TermColor.ansi(8), white = TermColor.ansi(7)
}

/// How a cell is drawn.
public struct CellStyle: Hashable, Sendable {
    public var fg: TermColor = .default
    public var bg: TermColor = .default
    public var bold = false
    public var dim = false
    public var reverse = false
    public var underline = false

    public init(fg: TermColor = .default, bg: TermColor = .default, bold: Bool = false, dim: Bool = false,
                reverse: Bool = false, underline: Bool = false) {
        self.fg = fg
        self.bg = bg
        self.bold = bold
        self.dim = dim
        self.reverse = reverse
        self.underline = underline
    }

    public static let plain = CellStyle()
}

/// One screen position: a grapheme (empty for the right half of a wide one) and its style.
public struct Cell: Hashable, Sendable {
    public var text: String
    public var style: CellStyle
    public static let blank = Cell(text: " ", style: .plain)
}

/// A grid of cells that views draw into; the renderer diffs two of them.
public struct ScreenBuffer: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { if x >= 0, y >= 0, x < width, y < height { cells[y * width + x] = newValue } }
    }

    /// Writes `text` from (x, y), clipped at `maxX` (exclusive); returns the column after it.
    /// Wide graphemes take two cells; one that would not fit is replaced by a space.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, style: CellStyle = .plain, maxX: Int? = nil) -> Int {
        guard y >= 0, y < height else { return x }
        let limit = min(maxX ?? width, width)
        // Most of a frame is ASCII: one cell per byte, no grapheme breaking.
        if let done = putASCII(text, x: x, y: y, style: style, limit: limit) { return done }
        var col = x
        for ch in text {
            if ch == "\t" { col += 1; continue }
            let w = CharWidth.of(ch)
            if w == 0 { continue }
            if col + w > limit {
                if col < limit { self[col, y] = Cell(text: " ", style: style) }
                return limit
            }
            if col >= 0 {
                self[col, y] = Cell(text: String(ch), style: style)
                if w == 2 { self[col + 1, y] = Cell(text: "", style: style) }
            }
            col += w
        }
        return col
    }

    /// `put` for printable ASCII text; nil (nothing written) when the text has other bytes.
    private mutating func putASCII(_ text: String, x: Int, y: Int, style: CellStyle, limit: Int) -> Int? {
        var text = text
        return text.withUTF8 { bytes -> Int? in
            for b in bytes where b < 0x20 || b >= 0x7F { return nil }
            var col = x
            let row = y * width
            for b in bytes {
                if col >= limit { return limit }
                if col >= 0 { cells[row + col] = Cell(text: ScreenBuffer.asciiText[Int(b)], style: style) }
                col += 1
            }
            return col
        }
    }

    /// One-character strings of the ASCII bytes (small strings: copying one allocates nothing).
    private static let asciiText: [String] = (0..<128).map { String(UnicodeScalar(UInt8($0))) }

    /// Fills a rectangle with spaces of `style`.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, style: CellStyle = .plain) {
        for yy in max(0, y)..<min(height, y + h) {
            for xx in max(0, x)..<min(width, x + w) { self[xx, yy] = Cell(text: " ", style: style) }
        }
    }

    /// The visible text of each row (for headless tests), trailing spaces removed.
    public var lines: [String] {
        (0..<height).map { y in
            var s = ""
            for x in 0..<width { s += cells[y * width + x].text }
            while s.hasSuffix(" ") { s.removeLast() }
            return s
        }
    }
}
