public import Foundation

/// The JSON every surface serves (`/kansoku/api/v1/explain`, `kansoku explain -o json`):
/// `{"status":"success","data":…}` as Loki's API wraps answers, snake_case keys.
public enum ExplainJSON {
    struct Envelope<T: Codable>: Codable {
        var status: String
        var data: T
    }

    public static func encode<T: Codable>(_ value: T) -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these value types cannot fail: no floats are infinite (shares are counts over counts).
        return (try? encoder.encode(Envelope(status: "success", data: value))) ?? Data("{}".utf8)
    }

    public static func decode<T: Codable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Envelope<T>.self, from: data).data
    }
}
