/// A key press or mouse event decoded from terminal input.
public enum Key: Hashable, Sendable {
    case char(Character)
    case enter, escape, tab, backtab, backspace
    case up, down, left, right, pageUp, pageDown, home, end
    case ctrl(Character)
    case wheelUp, wheelDown
}

/// Decodes the bytes a terminal sends (xterm sequences, SGR mouse) into keys.
public enum KeyDecoder {
    public static func decode(_ bytes: [UInt8]) -> [Key] {
        var keys: [Key] = []
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x1B {
                if i + 1 >= bytes.count { keys.append(.escape); i += 1; continue }
                if bytes[i + 1] == UInt8(ascii: "[") || bytes[i + 1] == UInt8(ascii: "O") {
                    var j = i + 2
                    while j < bytes.count, !(0x40...0x7E).contains(bytes[j]) || (bytes[j] == UInt8(ascii: "<") ) { j += 1 }
                    guard j < bytes.count else { keys.append(.escape); i += 1; continue }
                    let params = String(decoding: bytes[(i + 2)..<j], as: UTF8.self)
                    let final = bytes[j]
                    i = j + 1
                    switch final {
                    case UInt8(ascii: "A"): keys.append(.up)
                    case UInt8(ascii: "B"): keys.append(.down)
                    case UInt8(ascii: "C"): keys.append(.right)
                    case UInt8(ascii: "D"): keys.append(.left)
                    case UInt8(ascii: "H"): keys.append(.home)
                    case UInt8(ascii: "F"): keys.append(.end)
                    case UInt8(ascii: "Z"): keys.append(.backtab)
                    case UInt8(ascii: "~"):
                        switch params {
                        case "5": keys.append(.pageUp)
                        case "6": keys.append(.pageDown)
                        case "1", "7": keys.append(.home)
                        case "4", "8": keys.append(.end)
                        default: break
                        }
                    case UInt8(ascii: "M"), UInt8(ascii: "m"):
                        // SGR mouse: <button;x;y
                        let fields = params.dropFirst().split(separator: ";")
                        if let button = fields.first.flatMap({ Int($0) }) {
                            if button == 64 { keys.append(.wheelUp) } else if button == 65 { keys.append(.wheelDown) }
                        }
                    default: break
                    }
                    continue
                }
                keys.append(.escape)
                i += 1
                continue
            }
            switch b {
            case 0x0D, 0x0A: keys.append(.enter)
            case 0x09: keys.append(.tab)
            case 0x7F, 0x08: keys.append(.backspace)
            case 0x01...0x1A: keys.append(.ctrl(Character(UnicodeScalar(b + 0x60))))
            default:
                // One UTF-8 character.
                var len = 1
                if b >= 0xF0 { len = 4 } else if b >= 0xE0 { len = 3 } else if b >= 0xC0 { len = 2 }
                let end = min(bytes.count, i + len)
                if let s = String(validating: bytes[i..<end], as: UTF8.self), let c = s.first { keys.append(.char(c)) }
                i = end
                continue
            }
            i += 1
        }
        return keys
    }
}
