/// The nginx/Apache combined layout read on a line's bytes: the fields LogQL's
/// `pattern "<remote_addr> <_> <remote_user> [<_>] \"<method> <path> <_>\" <status> <body_bytes> \"<_>\" \"<user_agent>\" <extensions>"`
/// captures, the extensions (nginx's `rt=`, `upstream=`, ids) left for logfmt.
enum AccessLog {
    /// Calls `field` with each captured name and value; returns where the extensions start
    /// (the line's end when it has none), or nil when the line is not an access log up to its
    /// status code (nothing is reported then).
    static func scan(_ l: UnsafeRawBufferPointer, _ field: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) -> Int? {
        var at = 0
        guard let addr = take(l, &at, " "), take(l, &at, " ") != nil, let user = take(l, &at, " ["),
              take(l, &at, "] \"") != nil, let method = take(l, &at, " "), let path = take(l, &at, " "),
              take(l, &at, "\" ") != nil, let status = take(l, &at, " ") ?? rest(l, &at),
              !status.isEmpty, status.allSatisfy({ LineFields.isDigit(l[$0]) })
        else { return nil }
        var body: Range<Int>?, agent: Range<Int>?
        if let b = take(l, &at, " \"") ?? rest(l, &at) {
            body = b
            if take(l, &at, "\" \"") != nil {
                // The agent ends at a quote followed by a space (extensions follow) or the line's end.
                var j = at
                while j < l.count, !(l[j] == UInt8(ascii: "\"") && (j + 1 == l.count || l[j + 1] == 0x20)) { j += 1 }
                if j < l.count {
                    agent = at..<j
                    at = min(l.count, j + 2)
                } else {
                    at = l.count
                }
            } else {
                at = l.count
            }
        }
        emit("remote_addr", addr, l, field)
        emit("remote_user", user, l, field)
        emit("method", method, l, field)
        emit("path", path, l, field)
        emit("status", status, l, field)
        if let body { emit("body_bytes", body, l, field) }
        if let agent { emit("user_agent", agent, l, field) }
        return at
    }

    /// The bytes from `at` up to the next `literal`, moving `at` past it; nil (and `at` kept)
    /// when the literal does not follow.
    private static func take(_ l: UnsafeRawBufferPointer, _ at: inout Int, _ literal: StaticString) -> Range<Int>? {
        literal.withUTF8Buffer { lit in
            let first = lit[0]
            var i = at
            while i + lit.count <= l.count {
                if l[i] == first {
                    var k = 1
                    while k < lit.count, l[i + k] == lit[k] { k += 1 }
                    if k == lit.count {
                        defer { at = i + lit.count }
                        return at..<i
                    }
                }
                i += 1
            }
            return nil
        }
    }

    /// The rest of the line, when something is left.
    private static func rest(_ l: UnsafeRawBufferPointer, _ at: inout Int) -> Range<Int>? {
        guard at < l.count else { return nil }
        defer { at = l.count }
        return at..<l.count
    }

    private static func emit(_ name: StaticString, _ r: Range<Int>, _ l: UnsafeRawBufferPointer,
                             _ field: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void) {
        name.withUTF8Buffer { n in field(UnsafeRawBufferPointer(n), UnsafeRawBufferPointer(rebasing: l[r])) }
    }
}
