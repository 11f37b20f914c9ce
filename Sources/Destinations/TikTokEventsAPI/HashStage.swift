import ConversionEngine
import JSONKit
import MappingKit

/// Replaces every personal-data value with its lowercase hex SHA-256. Values that already
/// are 64 hex digits pass through unchanged.
public struct HashStage: Stage {
    package let identifiers: IdentifierFields

    public init(actions: ActionCatalog) {
        identifiers = IdentifierFields(actions: actions, defaultCountryCode: nil)
    }

    private static func needsHashing(_ value: JSON) -> Bool {
        guard case .string(let text) = value else { return false }
        return !text.isEmpty && !SHA256Hex.looksHashed(text)
    }

    /// Works on fields only.
    public var eventNeeds: EventNeeds { .nothing }

    public func process(_ batch: inout Batch, context: StageContext) async throws {
        var guesses = [Int](repeating: 0, count: identifiers.maxFieldCount)
        batch.forEachUnprepared { record in
            for (n, field) in identifiers.fields(for: record.action).enumerated() {
                guard let position = record.fields.index(forKey: field.key, guess: &guesses[n]) else { continue }
                record.fields.updateValue(at: position) { value in
                    guard case .array(var values) = value, values.contains(where: Self.needsHashing) else { return }
                    // Leaves `values` the list's only owner, so it changes in place instead of being copied.
                    value = .null
                    for i in values.indices where Self.needsHashing(values[i]) {
                        guard case .string(let text) = values[i] else { continue }
                        values[i] = .string(SHA256Hex.hash(text))
                    }
                    value = .array(values)
                }
            }
        }
    }
}
