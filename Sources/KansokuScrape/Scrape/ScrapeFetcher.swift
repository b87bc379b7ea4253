import AsyncHTTPClient
import KansokuCore
import NIOCore
import NIOHTTP1

/// Why a scrape produced no data. The message is what `up == 0` means for the target.
public enum ScrapeError: Error, Sendable, Hashable, CustomStringConvertible {
    case httpStatus(code: Int, reason: String)
    case timeout(seconds: Double)
    case transport(String)
    case bodyTooLarge(limit: Int)
    case malformed(ExpositionError, format: ExpositionFormat)

    public var description: String {
        switch self {
        case .httpStatus(let code, let reason): "server returned HTTP status \(code) \(reason)"
        case .timeout(let s): "scrape timed out after \(FloatText.format(s))s"
        case .transport(let m): "request failed: \(m)"
        case .bodyTooLarge(let limit): "body exceeds the limit of \(limit) bytes"
        case .malformed(let e, let format):
            "malformed \(format == .openMetrics ? "OpenMetrics" : "text 0.0.4") exposition at \(e)"
        }
    }
}

/// One HTTP GET of a target's metrics, with Prometheus's request headers.
struct ScrapeFetcher: Sendable {
    let client: HTTPClient
    /// Larger bodies fail the scrape rather than the process (Prometheus: body_size_limit).
    var bodyLimit = 256 << 20

    func fetch(_ target: ScrapeTarget) async throws(ScrapeError) -> (body: [UInt8], format: ExpositionFormat) {
        var request = HTTPClientRequest(url: target.url)
        request.headers.add(name: "Accept", value: ContentNegotiation.acceptHeader)
        request.headers.add(name: "Accept-Encoding", value: "gzip")
        request.headers.add(name: "User-Agent", value: "Kansoku")
        request.headers.add(name: "X-Prometheus-Scrape-Timeout-Seconds", value: FloatText.format(target.timeout.seconds))
        let timeout = TimeAmount.milliseconds(target.timeout.milliseconds)
        let limit = bodyLimit
        let prepared = request
        do {
            return try await withThrowingTaskGroup(of: (body: [UInt8], format: ExpositionFormat)?.self) { group in
                group.addTask {
                    let response = try await client.execute(prepared, timeout: timeout)
                    guard response.status == .ok else {
                        throw ScrapeError.httpStatus(code: Int(response.status.code), reason: response.status.reasonPhrase)
                    }
                    var buffer: ByteBuffer
                    do { buffer = try await response.body.collect(upTo: limit) } catch let e as NIOTooManyBytesError {
                        _ = e
                        throw ScrapeError.bodyTooLarge(limit: limit)
                    }
                    let format = ContentNegotiation.format(contentType: response.headers.first(name: "Content-Type"))
                        ?? .prometheusText
                    return (buffer.readBytes(length: buffer.readableBytes) ?? [], format)
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(target.timeout.milliseconds))
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let result = first else {
                    throw ScrapeError.timeout(seconds: target.timeout.seconds)
                }
                return result
            }
        } catch let e as ScrapeError {
            throw e
        } catch let e as HTTPClientError where e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout {
            throw .timeout(seconds: target.timeout.seconds)
        } catch {
            throw .transport("\(error)")
        }
    }
}
