import ConversionEngine
import MappingKit

/// Refuses what TikTok cannot use: a record without an event name, without any identifier
/// left after normalizing, or with a timestamp that is not a date. Renames the reserved
/// event `Purchase` to `CompletePayment`.
public struct ValidateStage: Stage {
    let identifiers: IdentifierFields

    public init(actions: ActionCatalog) {
        identifiers = IdentifierFields(actions: actions, defaultCountryCode: nil)
    }

    public func process(_ batch: inout Batch, context: StageContext) async throws {
        batch.forEachPending { record in
            if let reason = problem(in: &record) { record.reject(reason) }
        }
    }

    private func problem(in record: inout Record) -> String? {
        guard case .string(let event)? = record.fields["event"], !event.isEmpty else {
            return "event: a TikTok event name is required"
        }
        if event == "Purchase" {
            record.fields["event"] = "CompletePayment"
            record.warnings.append("event: 'Purchase' is reserved; sent as 'CompletePayment'")
        }
        let fields = identifiers.fields(for: record.action)
        let hasIdentifier = fields.contains { field in
            if case .array(let values)? = record.fields[field.key] { !values.isEmpty } else { false }
        }
        if !fields.isEmpty && !hasIdentifier {
            let names = fields.map(\.key)
            return "no valid identifier: TikTok needs at least one of \(names.dropLast().joined(separator: ", ")) or \(names.last!)"
        }
        if let timestamp = record.fields["timestamp"], timestamp.isTruthy {
            guard case .string(let text) = timestamp, JSDate.parseMilliseconds(text) != nil else {
                return "timestamp: not a date TikTok accepts (expected ISO-8601, e.g. 2024-01-08T13:52:50Z)"
            }
        }
        return nil
    }
}
