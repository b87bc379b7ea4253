/// Scans logfmt (`level=info msg="hello world" dur=12ms`) on bytes, calling `body` for each
/// pair with the key and the raw value (quotes removed, escapes left in) and whether the value
/// was quoted with escapes. Malformed input never fails: like Promtail's scanner it takes what
/// it can read.
enum Logfmt {
    static func scan(_ b: UnsafeRawBufferPointer,
                     _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, _ escaped: Bool) -> Void) {
        var i = 0
        let n = b.count
        while i < n {
            while i < n, b[i] <= 0x20 { i += 1 }
            let keyStart = i
            while i < n, b[i] > 0x20, b[i] != UInt8(ascii: "="), b[i] != UInt8(ascii: "\"") { i += 1 }
            let key = UnsafeRawBufferPointer(rebasing: b[keyStart..<i])
            if i < n, b[i] == UInt8(ascii: "=") {
                i += 1
                if i < n, b[i] == UInt8(ascii: "\"") {
                    i += 1
                    let vs = i
                    var escaped = false
                    while i < n, b[i] != UInt8(ascii: "\"") {
                        if b[i] == UInt8(ascii: "\\") { escaped = true; i += 1 }
                        i += 1
                    }
                    let ve = min(i, n)
                    if !key.isEmpty { body(key, UnsafeRawBufferPointer(rebasing: b[vs..<ve]), escaped) }
                    i = min(i + 1, n)
                } else {
                    let vs = i
                    while i < n, b[i] > 0x20 { i += 1 }
                    if !key.isEmpty { body(key, UnsafeRawBufferPointer(rebasing: b[vs..<i]), false) }
                }
            } else {
                if !key.isEmpty { body(key, UnsafeRawBufferPointer(rebasing: b[i..<i]), false) }
                if i < n, b[i] == UInt8(ascii: "\"") { i += 1 }
            }
        }
    }

    /// Appends a quoted value's bytes with `\"`, `\\`, `\n`, `\t`, `\r` decoded.
    static func unescape(_ v: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        var i = 0
        while i < v.count {
            let c = v[i]
            if c == UInt8(ascii: "\\"), i + 1 < v.count {
                switch v[i + 1] {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                default: out.append(v[i + 1])
                }
                i += 2
            } else {
                out.append(c)
                i += 1
            }
        }
    }
}
