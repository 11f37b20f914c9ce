import ConversionEngine
import MappingKit

/// Replaces every personal-data value with its lowercase hex SHA-256. Values that already
/// are 64 hex digits pass through unchanged.
public struct HashStage: Stage {
    let identifiers: IdentifierFields

    public init(actions: ActionCatalog) {
        identifiers = IdentifierFields(actions: actions, defaultCountryCode: nil)
    }

    public func process(_ batch: inout Batch, context: StageContext) async throws {
        batch.forEachPending { record in
            for field in identifiers.fields(for: record.action) {
                guard case .array(var values)? = record.fields[field.key] else { continue }
                for i in values.indices {
                    guard case .string(let text) = values[i], !text.isEmpty, !SHA256Hex.looksHashed(text) else { continue }
                    values[i] = .string(SHA256Hex.hash(text))
                }
                record.fields[field.key] = .array(values)
            }
        }
    }
}
