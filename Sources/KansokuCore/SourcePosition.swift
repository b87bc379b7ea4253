/// A place in a query or file, 1-based like editors and Loki/Prometheus errors.
public struct SourcePosition: Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    /// The line and column of byte `offset` in `text` (columns count Unicode scalars).
    public init(offset: Int, in text: String) {
        var line = 1, col = 1, seen = 0
        for scalar in text.unicodeScalars {
            if seen >= offset { break }
            seen += String(scalar).utf8.count
            if scalar == "\n" { line += 1; col = 1 } else { col += 1 }
        }
        self.init(line: line, column: col)
    }

    public var description: String { "\(line):\(column)" }
}

/// An error in a query or a file, with where it happened and what was expected there.
public struct PositionedError: Error, Sendable, Hashable, CustomStringConvertible {
    public var position: SourcePosition
    public var message: String
    /// The file, when the text came from one.
    public var file: String?

    public init(_ message: String, at position: SourcePosition, file: String? = nil) {
        self.message = message
        self.position = position
        self.file = file
    }

    public var description: String {
        if let file { return "\(file):\(position.line):\(position.column): \(message)" }
        return "parse error at line \(position.line), col \(position.column): \(message)"
    }
}
