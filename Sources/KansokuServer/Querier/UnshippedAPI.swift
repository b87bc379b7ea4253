import Hummingbird
import KansokuCore
import KansokuLogStore
import NIOCore

/// The ingester's side of a querier's read: the entries of matching streams that the bucket
/// does not hold yet (heads, blocks not yet written, chunks not yet shipped), for the tenant
/// the request authenticates as.
struct UnshippedAPI: Sendable {
    static let path = "/kansoku/internal/v1/unshipped"

    let store: LogStore
    let settings: ServerSettings
    /// `<ingester id>/<incarnation>/` of this ingester's prefixes in the bucket (one per
    /// tenant), whose chunks the querier lists as read there; nil on a node that ships
    /// nothing (then every chunk is its own to answer).
    let ingesterPath: String?

    func register(on router: Router<KansokuRequestContext>) {
        router.post(RouterPath(Self.path)) { request, _ in
            var request = request
            let body = try await RequestBody.read(&request, settings: settings)
            let query: UnshippedRequest
            do { query = try UnshippedRequest.parse(body) } catch { throw APIError.badRequest("\(error)") }
            let owner = tenant(of: request, tenancy: settings.tenancy)
            let shipped = ingesterPath.flatMap { query.shipped[LogShipping.prefix(tenant: owner, ingesterPath: $0)] } ?? [:]
            var streams: [(labels: Labels, blocks: [DecodedBlock])] = []
            var from = Int64.max, through = Int64.min
            for s in query.selections {
                do {
                    streams += try store.unshippedBlocks(tenant: owner, matchers: s.matchers, from: s.from, through: s.through, shipped: shipped)
                } catch {
                    throw APIError.unprocessable("\(error)")
                }
                from = min(from, s.from)
                through = max(through, s.through)
            }
            let bytes = UnshippedWire.encode(streams, from: from, through: through)
            return Response(status: .ok, headers: [.contentType: UnshippedWire.contentType],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}
