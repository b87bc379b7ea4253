import Foundation
import KansokuTestSupport

/// Locates `../shared` next to the repository root (derived from this file's path).
enum SharedData {
    /// `../shared/conformance/exposition/<sub>`, or nil on a user's clone (tests that read it
    /// declare `.requires(SharedData.requirement(sub))`: skipped there, failed in CI).
    static func exposition(_ sub: String) -> URL? {
        Requirement.sharedPath("conformance/exposition/\(sub)")
    }

    static func requirement(_ sub: String) -> Requirement { .shared("conformance/exposition/\(sub)") }

    static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }
}
