import MappingKit

/// Checks an Events API request body the way TikTok does, naming the first problem.
///
/// One bad row refuses the whole request; the message names the row as `data[i]`.
enum EventsRequestValidator {
    static let maxEvents = 1_000
    static let identifierFields = ["email", "phone", "external_id"]

    /// The accepted events as (event, event_id) pairs, or the reason to refuse the request.
    static func validate(_ body: JSON) -> Result<[(event: String, eventID: String?)], Refusal> {
        guard case .object(let envelope) = body else { return .failure(Refusal("request body must be a JSON object")) }
        guard let source = envelope["event_source"]?.stringValue else {
            return .failure(Refusal("event_source is required"))
        }
        guard ["offline", "crm", "web", "app"].contains(source) else {
            return .failure(Refusal("event_source must be one of web, app, offline, crm"))
        }
        guard let sourceID = envelope["event_source_id"]?.stringValue, !sourceID.isEmpty else {
            return .failure(Refusal("event_source_id is required"))
        }
        guard case .array(let rows)? = envelope["data"], !rows.isEmpty else {
            return .failure(Refusal("data must be a non-empty array"))
        }
        guard rows.count <= maxEvents else {
            return .failure(Refusal("data holds \(rows.count) events; at most \(maxEvents) are allowed"))
        }
        var accepted: [(event: String, eventID: String?)] = []
        accepted.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() {
            switch validate(row: row) {
            case .success(let pair): accepted.append(pair)
            case .failure(let refusal): return .failure(Refusal("data[\(index)]\(refusal.message)"))
            }
        }
        return .success(accepted)
    }

    /// A row's problem is reported as a suffix to `data[i]` (".user.email[0]: …").
    private static func validate(row: JSON) -> Result<(event: String, eventID: String?), Refusal> {
        guard case .object(let event) = row else { return .failure(Refusal(": must be an object")) }
        guard let name = event["event"]?.stringValue, !name.isEmpty else {
            return .failure(Refusal(".event: is required"))
        }
        guard let time = event["event_time"], time.isNumber else {
            return .failure(Refusal(".event_time: must be a number (seconds since the epoch)"))
        }
        _ = time
        var eventID: String?
        if let id = event["event_id"] {
            guard let string = id.stringValue else { return .failure(Refusal(".event_id: must be a string")) }
            eventID = string
        }
        guard case .object(let user)? = event["user"] else { return .failure(Refusal(".user: is required")) }
        var identifiers = 0
        for field in identifierFields {
            guard let value = user[field] else { continue }
            let values: [JSON]
            switch value {
            case .array(let array): values = array
            case .string: values = [value]
            default: return .failure(Refusal(".user.\(field): must be a string or an array of strings"))
            }
            for (position, hash) in values.enumerated() {
                guard let hash = hash.stringValue, isSHA256Hex(hash) else {
                    return .failure(Refusal(".user.\(field)[\(position)]: must be a SHA-256 hash (64 lowercase hex characters)"))
                }
                identifiers += 1
            }
        }
        guard identifiers > 0 else {
            return .failure(Refusal(".user: at least one of email, phone or external_id is required"))
        }
        return .success((name, eventID))
    }

    static func isSHA256Hex(_ string: String) -> Bool {
        var count = 0
        for byte in string.utf8 {
            count += 1
            guard count <= 64, (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) else { return false }
        }
        return count == 64
    }

    struct Refusal: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }
}
