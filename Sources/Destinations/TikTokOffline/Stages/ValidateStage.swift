import ConversionEngine
import MappingKit
import TikTokEventsAPI

/// Refuses what TikTok cannot use: a record without an event name, without any identifier
/// left after normalizing (for a CRM event, its lead ID counts), with a timestamp that is not
/// a date, older than the settings allow (stale) or dated too far ahead, or routed to an event set id that cannot be
/// one; a CRM event without a lead ID. Renames the reserved event `Purchase` to `CompletePayment`.
public struct ValidateStage: Stage {
    let identifiers: IdentifierFields
    let timeWindow: EventTimeWindow

    public init(actions: ActionCatalog, settings: TikTokSettings = TikTokSettings()) {
        identifiers = IdentifierFields(actions: actions, defaultCountryCode: nil)
        timeWindow = EventTimeWindow(settings: settings)
    }

    /// Works on fields only.
    public var eventNeeds: EventNeeds { .nothing }

    public func process(_ batch: inout Batch, context: StageContext) async throws {
        var guesses = Guesses(identifiers: [Int](repeating: 0, count: identifiers.maxFieldCount))
        let now = context.now
        batch.forEachUnprepared { record in
            if let reason = problem(in: &record, now: now, guesses: &guesses) { record.reject(reason) }
        }
    }

    /// Why a record without any of the identifier fields `names` is refused.
    static func noIdentifier(among names: [String]) -> String {
        "no valid identifier: TikTok needs at least one of \(names.dropLast().joined(separator: ", ")) or \(names.last!)"
    }

    /// Where the fields this stage reads were in the previous record.
    private struct Guesses {
        var event = 0
        var timestamp = 0
        var identifiers: [Int]
    }

    private func problem(in record: inout Record, now: Int64, guesses: inout Guesses) -> String? {
        guard let eventPosition = record.fields.index(forKey: "event", guess: &guesses.event),
            case .string(let event) = record.fields.values[eventPosition], !event.isEmpty
        else {
            return "event: a TikTok event name is required"
        }
        if event == "Purchase" {
            record.fields["event"] = "CompletePayment"
            record.warnings.append("event: 'Purchase' is reserved; sent as 'CompletePayment'")
        }
        let crm = record.fields["event_source"] == .string(TikTokEventSource.crm.rawValue)
        if crm && !(record.fields["lead_id"]?.isTruthy ?? false) {
            return "lead_id: a CRM event needs the TikTok lead ID it reports on"
        }
        if let id = record.fields["event_set_id"], id.isTruthy,
           !(id.stringValue.map(TikTokRoute.isValidEventSetID) ?? false) {
            return "event_set_id: not an event set id (1 to 64 letters, digits, _ or -)"
        }
        let fields = identifiers.fields(for: record.action)
        let hasIdentifier = crm || fields.indices.contains { n in
            guard let position = record.fields.index(forKey: fields[n].key, guess: &guesses.identifiers[n]) else { return false }
            if case .array(let values) = record.fields.values[position] { return !values.isEmpty } else { return false }
        }
        if !fields.isEmpty && !hasIdentifier { return Self.noIdentifier(among: fields.map(\.key)) }
        if let position = record.fields.index(forKey: "timestamp", guess: &guesses.timestamp),
            case let timestamp = record.fields.values[position], timestamp.isTruthy
        {
            guard case .string(let text) = timestamp, let milliseconds = JSDate.parseMilliseconds(text) else {
                return "timestamp: not a date TikTok accepts (expected ISO-8601, e.g. 2024-01-08T13:52:50Z)"
            }
            if let message = timeWindow.problem(milliseconds: milliseconds, now: now) {
                if timeWindow.policy == .reject { return message }
                record.warnings.append(message)
            }
        }
        return nil
    }
}
