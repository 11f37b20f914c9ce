import ConversionEngine
import JSONKit
import MappingKit
import TikTokEventsAPI

/// Refuses what TikTok cannot use or match: a record without an event name; with a timestamp
/// that is not a date (Segment sends `event_time: null`, which TikTok refuses); with nothing to
/// match the visitor by (no email, phone, external id, click id, cookie id, IP address or user
/// agent left after normalizing); a CRM event without its lead fields. Renames the reserved
/// event `Purchase` to `CompletePayment`.
public struct WebEventValidateStage: Stage {
    public init() {}

    /// The fields any one of which lets TikTok match a web event to a visitor.
    static let matchFields = ["email", "phone_number", "external_id", "ttclid", "ttp", "ip", "user_agent"]

    static let noIdentifier = "no identifier: TikTok needs at least one of email, phone_number, external_id, ttclid, ttp, ip or user_agent"

    /// Works on fields only.
    public var eventNeeds: EventNeeds { .nothing }

    public func process(_ batch: inout Batch, context: StageContext) async throws {
        batch.forEachUnprepared { record in
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
        if WebEventElement.eventSource(of: record.fields) == .crm, record.fields["lead_fields"]?.objectValue?.isEmpty ?? true {
            return "lead_fields: a CRM event needs the TikTok lead it reports on (lead_fields.lead_id)"
        }
        let fields = record.fields
        let matchable = Self.matchFields.contains { key in
            switch fields[key] {
            case .array(let values)?: !values.isEmpty
            case let value?: value.isTruthy
            case nil: false
            }
        } || (fields["url"]?.stringValue).flatMap { ClickIDFromURL.ttclid(in: $0) } != nil
        if !matchable { return Self.noIdentifier }
        if let timestamp = fields["timestamp"], timestamp.isTruthy {
            guard case .string(let text) = timestamp, JSDate.parseMilliseconds(text) != nil else {
                return "timestamp: not a date TikTok accepts (expected ISO-8601, e.g. 2024-01-08T13:52:50Z)"
            }
        }
        return nil
    }
}
