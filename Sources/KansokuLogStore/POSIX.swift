#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

func strerrorText(_ err: Int32) -> UnsafeMutablePointer<CChar> { strerror(err) }
