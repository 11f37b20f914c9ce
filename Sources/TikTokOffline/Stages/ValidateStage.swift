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

    /// Works on fields only.
    public var eventNeeds: EventNeeds { .nothing }

    public func process(_ batch: inout Batch, context: StageContext) async throws {
        var guesses = Guesses(identifiers: [Int](repeating: 0, count: identifiers.maxFieldCount))
        batch.forEachPending { record in
            if let reason = problem(in: &record, guesses: &guesses) { record.reject(reason) }
        }
    }

    /// Where the fields this stage reads were in the previous record.
    private struct Guesses {
        var event = 0
        var timestamp = 0
        var identifiers: [Int]
    }

    private func problem(in record: inout Record, guesses: inout Guesses) -> String? {
        guard let eventPosition = record.fields.index(forKey: "event", guess: &guesses.event),
            case .string(let event) = record.fields.values[eventPosition], !event.isEmpty
        else {
            return "event: a TikTok event name is required"
        }
        if event == "Purchase" {
            record.fields["event"] = "CompletePayment"
            record.warnings.append("event: 'Purchase' is reserved; sent as 'CompletePayment'")
        }
        let fields = identifiers.fields(for: record.action)
        let hasIdentifier = fields.indices.contains { n in
            guard let position = record.fields.index(forKey: fields[n].key, guess: &guesses.identifiers[n]) else { return false }
            if case .array(let values) = record.fields.values[position] { return !values.isEmpty } else { return false }
        }
        if !fields.isEmpty && !hasIdentifier {
            let names = fields.map(\.key)
            return "no valid identifier: TikTok needs at least one of \(names.dropLast().joined(separator: ", ")) or \(names.last!)"
        }
        if let position = record.fields.index(forKey: "timestamp", guess: &guesses.timestamp),
            case let timestamp = record.fields.values[position], timestamp.isTruthy
        {
            guard case .string(let text) = timestamp, JSDate.parseMilliseconds(text) != nil else {
                return "timestamp: not a date TikTok accepts (expected ISO-8601, e.g. 2024-01-08T13:52:50Z)"
            }
        }
        return nil
    }
}
