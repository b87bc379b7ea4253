import Hummingbird
import KansokuIngest

/// A request body as the ingestion endpoints read it: bounded as sent (`max_request_bytes`)
/// and, once decompressed by its `Content-Encoding`, bounded again (`max_decompressed_bytes`),
/// since a few KB of gzip or a snappy header can declare gigabytes.
enum RequestBody {
    static func read(_ request: inout Request, settings: ServerSettings) async throws -> [UInt8] {
        let body = try await request.collectBody(limit: settings.maxRequestBytes)
        var bytes = Array(body.readableBytesView)
        let inflated = settings.maxDecompressedBytes
        switch request.headers[.contentEncoding]?.lowercased() {
        case nil, "", "identity": break
        case "snappy":
            do { bytes = try Snappy.decompress(bytes, limit: inflated) } catch SnappyError.tooLarge(let n, _) {
                throw APIError.tooLarge(n, limit: inflated)
            } catch { throw APIError.badRequest("\(error)") }
        case "gzip", "x-gzip":
            do { bytes = try Inflate.decompress(bytes, format: .gzip, limit: inflated) } catch InflateError.tooLarge {
                throw APIError.tooLarge(inflated + 1, limit: inflated)
            } catch { throw APIError.badRequest("gzip body: \(error)") }
        case "deflate":
            do { bytes = try Inflate.decompress(bytes, format: .deflate, limit: inflated) } catch InflateError.tooLarge {
                throw APIError.tooLarge(inflated + 1, limit: inflated)
            } catch { throw APIError.badRequest("deflate body: \(error)") }
        case let other?:
            throw APIError(.unsupportedMediaType, .badData, "unsupported Content-Encoding \"\(other)\": send identity, snappy, gzip or deflate")
        }
        return bytes
    }
}
