import ConversionEngine
import JSONKit
import MappingKit

/// Puts every personal-data field in the form TikTok matches on (see ``IdentifierNormalizer``):
/// emails trimmed and lower-cased, phones reduced to `+` and digits, external ids lower-cased.
/// Blank or invalid values leave their list, with a warning that names the field, not the value.
public struct NormalizeStage: Stage {
    package let identifiers: IdentifierFields

    public init(actions: ActionCatalog, defaultCountryCode: String?) {
        identifiers = IdentifierFields(actions: actions, defaultCountryCode: defaultCountryCode)
    }

    /// The warning for a value of `field` dropped for `reason` (never the value itself).
    package static func droppedValue(_ field: String, _ reason: String) -> String { "\(field): dropped a value (\(reason))" }

    /// The warning for a value of `field` kept although it may not match (never the value itself).
    package static func warnedValue(_ field: String, _ warning: String) -> String { "\(field): \(warning)" }

    /// Works on fields only.
    public var eventNeeds: EventNeeds { .nothing }

    public func process(_ batch: inout Batch, context: StageContext) async throws {
        var guesses = [Int](repeating: 0, count: identifiers.maxFieldCount)
        batch.forEachUnprepared { record in
            for (n, field) in identifiers.fields(for: record.action).enumerated() {
                guard let position = record.fields.index(forKey: field.key, guess: &guesses[n]),
                    case .array(let values) = record.fields.values[position]
                else { continue }
                // Made at the first value that changes; a list already in form is kept as it is.
                var kept: [JSON]?
                for (i, value) in values.enumerated() {
                    var normalized: String?
                    if case .string(let text) = value {
                        switch field.normalizer.normalize(text) {
                        case .keep(let result, let warning):
                            if let warning { record.warnings.append(Self.warnedValue(field.key, warning)) }
                            if kept == nil, result == text { continue }
                            normalized = result
                        case .drop(let reason):
                            if reason != "blank" { record.warnings.append(Self.droppedValue(field.key, reason)) }
                        }
                    }
                    if kept == nil {
                        kept = Array(values[..<i])
                        kept!.reserveCapacity(values.count)
                    }
                    if let normalized { kept!.append(.string(normalized)) }
                }
                if let kept { record.fields.updateValue(at: position) { $0 = .array(kept) } }
            }
        }
    }
}
