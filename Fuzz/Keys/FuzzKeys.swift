import KansokuTUI
import FuzzSupport

/// Fuzzes the terminal key decoder: each input is what a terminal might send in one read
/// (escape sequences, SGR mouse reports, UTF-8, control bytes).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ input: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data = input else { return 0 }
    _ = KeyDecoder.decode(FuzzSupport.bytes(data, size))
    return 0
}

@main struct Main {
    static func main() { FuzzSupport.main(fuzz) }
}
