extension Array where Element == UInt8 {
    /// `withUnsafeBytes` that keeps a typed error type (the standard one erases it to `any Error`).
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = withUnsafeBytes { b in Result { () throws(E) -> R in try body(b) } }
        return try result.get()
    }
}

extension Substring {
    /// The text without leading and trailing ASCII spaces and tabs.
    func trimmingASCIISpaces() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}
