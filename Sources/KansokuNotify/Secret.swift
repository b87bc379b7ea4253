import KansokuCore

/// A credential or a URL that carries one. Its text is reachable only through `reveal()`;
/// printing, interpolating or dumping it yields `<secret>`, so it cannot end up in logs,
/// error messages or config dumps by accident.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The secret text, for the one place that has to put it on the wire.
    public func reveal() -> String { value }

    public var description: String { "<secret>" }
    public var debugDescription: String { "<secret>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// Reads secrets from files at the moment they are needed, so a rotated token or URL is
/// picked up without a restart (as Alertmanager re-reads `url_file` and credential files).
public enum SecretFile {
    /// The file's content without a trailing newline.
    public static func read(_ path: String) throws(NotifySendError) -> Secret {
        guard let bytes = try? FileIO.readFile(path) else {
            throw .secretFileUnreadable(path: path)
        }
        var text = String(decoding: bytes, as: UTF8.self)
        while let last = text.last, last == "\n" || last == "\r" || last == " " { text.removeLast() }
        return Secret(text)
    }
}
