public import Foundation
public import KansokuExplain
import KansokuLogQL
import KansokuLogStore

extension LocalData {
    /// `kansoku explain --data-dir`: the explain answer's JSON, read from a stopped server's data.
    public static func explain(directory: String, tenant: String, request: ExplainRequest) async throws -> Data {
        try await withStore(directory) { store in
            do {
                return ExplainJSON.encode(try await Explainer(engine: LogQLEngine(store: store), tenant: tenant).explain(request))
            } catch let error as ExplainError {
                throw ClientError.server(status: error.isUserError ? 400 : 422, message: error.description)
            }
        }
    }
}
