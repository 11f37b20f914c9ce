import ConversionEngine
import MappingKit

/// Skips events whose sender withheld consent for advertising.
///
/// An event that carries `context.consent.categoryPreferences` with the configured category
/// (default `Advertising`) set to `false` is skipped with reason "no consent". With
/// `requireConsent`, an event that does not grant the category explicitly is skipped too.
public struct ConsentStage: Stage {
    public let category: String
    public let requireConsent: Bool

    public init(category: String = "Advertising", requireConsent: Bool = false) {
        self.category = category
        self.requireConsent = requireConsent
    }

    /// Reads `context.consent` only.
    public var eventNeeds: EventNeeds { .paths(["context.consent"]) }

    public func process(_ batch: inout Batch, context: StageContext) async throws {
        batch.forEachPending { record in
            let preference = record.event["context"]?["consent"]?["categoryPreferences"]?[category]
            switch preference {
            case .bool(false)?: record.skip("no consent")
            case .bool(true)?: break
            default: if requireConsent { record.skip("no consent") }
            }
        }
    }
}
