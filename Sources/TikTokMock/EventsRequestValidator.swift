import JSONKit

/// Checks an Events API request body the way TikTok does, naming the first problem.
///
/// One bad row refuses the whole request; the message names the row as `data[i]`.
enum EventsRequestValidator {
    static let maxEvents = 1_000
    static let identifierFields = ["email", "phone", "external_id"]

    /// What an acceptable request carries.
    struct Accepted {
        var events: [(event: String, eventID: String?)]
        /// The body's `test_event_code`; nil for live events.
        var testEventCode: String?
        /// The body's `event_source` and `event_source_id`.
        var eventSource = "offline"
        var eventSetID = ""
    }

    /// The accepted events as (event, event_id) pairs, or the reason to refuse the request.
    /// The body is read in place: the stand-in builds no tree of a 1,000-event request.
    static func validate(_ body: JSONDocument) -> Result<Accepted, Refusal> {
        guard let envelope = body.root, body.isObject(envelope) else {
            return .failure(Refusal("request body must be a JSON object"))
        }
        guard let source = body.member("event_source", of: envelope).flatMap(body.string) else {
            return .failure(Refusal("event_source is required"))
        }
        guard ["offline", "crm", "web", "app"].contains(source) else {
            return .failure(Refusal("event_source must be one of web, app, offline, crm"))
        }
        guard let sourceID = body.member("event_source_id", of: envelope).flatMap(body.string), !sourceID.isEmpty else {
            return .failure(Refusal("event_source_id is required"))
        }
        var testEventCode: String?
        if let code = body.member("test_event_code", of: envelope) {
            guard let text = body.string(code) else { return .failure(Refusal("test_event_code must be a string")) }
            testEventCode = text.isEmpty ? nil : text
        }
        guard let data = body.member("data", of: envelope), body.isArray(data) else {
            return .failure(Refusal("data must be a non-empty array"))
        }
        let rows = body.elements(of: data)
        guard !rows.isEmpty else { return .failure(Refusal("data must be a non-empty array")) }
        guard rows.count <= maxEvents else {
            return .failure(Refusal("data holds \(rows.count) events; at most \(maxEvents) are allowed"))
        }
        var accepted: [(event: String, eventID: String?)] = []
        accepted.reserveCapacity(rows.count)
        for (index, row) in rows.enumerated() {
            switch validate(row: row, in: body, crm: source == "crm", web: source == "web") {
            case .success(let pair): accepted.append(pair)
            case .failure(let refusal): return .failure(Refusal("data[\(index)]\(refusal.message)"))
            }
        }
        return .success(Accepted(events: accepted, testEventCode: testEventCode, eventSource: source, eventSetID: sourceID))
    }

    /// One `data` element. A CRM event (`crm`) must name its lead: `lead.lead_id`, a string,
    /// with `lead.lead_event_source` a string when present; the lead stands in for the user's
    /// identifiers. A web event may be matched by its browser instead (`ip`, `user_agent`,
    /// `ttclid`, `ttp`), and its names and zip code, when not empty, must be SHA-256 hashes.
    private static func validate(row: JSONDocument.Value, in body: JSONDocument, crm: Bool, web: Bool = false) -> Result<(event: String, eventID: String?), Refusal> {
        guard body.isObject(row) else { return .failure(Refusal(": must be an object")) }
        if body.member("test_event_code", of: row) != nil {
            return .failure(Refusal(
                ".test_event_code: not read here; TikTok reads test_event_code at the top level of the request body, so this event would not show in Test Events"))
        }
        guard let name = body.member("event", of: row).flatMap(body.string), !name.isEmpty else {
            return .failure(Refusal(".event: is required"))
        }
        guard let time = body.member("event_time", of: row), body.isNumber(time) else {
            return .failure(Refusal(".event_time: must be a number (seconds since the epoch)"))
        }
        var eventID: String?
        if let id = body.member("event_id", of: row) {
            guard let string = body.string(id) else { return .failure(Refusal(".event_id: must be a string")) }
            eventID = string
        }
        guard let user = body.member("user", of: row), body.isObject(user) else {
            return .failure(Refusal(".user: is required"))
        }
        var identifiers = 0
        for field in identifierFields {
            guard let value = body.member(field, of: user) else { continue }
            let values: [JSONDocument.Value]
            if body.isArray(value) {
                values = body.elements(of: value)
            } else if body.isString(value) {
                values = [value]
            } else {
                return .failure(Refusal(".user.\(field): must be a string or an array of strings"))
            }
            for (position, hash) in values.enumerated() where body.withUTF8(hash, isSHA256Hex) != true {
                return .failure(Refusal(".user.\(field)[\(position)]: must be a SHA-256 hash (64 lowercase hex characters)"))
            }
            identifiers += values.count
        }
        if crm {
            guard let lead = body.member("lead", of: row), body.isObject(lead) else {
                return .failure(Refusal(".lead: is required for a CRM event (event_source crm)"))
            }
            guard let id = body.member("lead_id", of: lead).flatMap(body.string), !id.isEmpty else {
                return .failure(Refusal(".lead.lead_id: must be a non-empty string"))
            }
            if let source = body.member("lead_event_source", of: lead), body.string(source) == nil {
                return .failure(Refusal(".lead.lead_event_source: must be a string"))
            }
        } else if body.member("lead", of: row) != nil {
            return .failure(Refusal(".lead: only CRM events (event_source crm) carry a lead"))
        }
        if web {
            for field in hashedWebFields {
                guard let value = body.member(field, of: user) else { continue }
                guard let text = body.string(value), text.isEmpty || isSHA256Hex(text) else {
                    return .failure(Refusal(".user.\(field): must be empty or a SHA-256 hash (64 lowercase hex characters)"))
                }
            }
            if identifiers == 0 {
                identifiers = browserFields.filter { field in
                    body.member(field, of: user).flatMap(body.string).map { !$0.isEmpty } ?? false
                }.count
            }
        }
        guard identifiers > 0 || crm else {
            return .failure(Refusal(web
                ? ".user: at least one of email, phone, external_id, ip, user_agent, ttclid or ttp is required"
                : ".user: at least one of email, phone or external_id is required"))
        }
        return .success((name, eventID))
    }

    /// What a web event's user may be matched by besides its identifiers.
    static let browserFields = ["ip", "user_agent", "ttclid", "ttp"]
    /// A web event's user fields that are sent hashed (or empty).
    static let hashedWebFields = ["first_name", "last_name", "zip_code"]

    static func isSHA256Hex(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count == 64 && bytes.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
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
