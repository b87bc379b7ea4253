@testable import KansokuObjectStore

/// The object store error `body` throws, or nil when it succeeds.
func failure(_ body: () async throws -> Void) async -> ObjectStoreError? {
    do {
        try await body()
        return nil
    } catch {
        return error as? ObjectStoreError ?? .malformedResponse("not an ObjectStoreError: \(error)")
    }
}
