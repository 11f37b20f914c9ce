import ConversionEngine
import TikTokEventsAPI

/// How to reach TikTok and how to treat events. The access token is never printed:
/// `description`, `debugDescription` and `dump` show it as `<redacted>`.
public struct TikTokSettings: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// TikTok Events API access token (header `Access-Token`).
    public var accessToken: String?
    /// The offline event set that receives the events (`event_source_id`).
    public var eventSetID: String?
    /// `partner_name` in every request; omitted when unset.
    public var partnerName: String?
    /// Digits prefixed to phone numbers written without `+` or `00` (e.g. `1`).
    public var defaultCountryCode: String?
    /// Sent as `test_event_code` when a mapping does not set one.
    public var testEventCode: String?
    /// The consent category an event must not deny (`context.consent.categoryPreferences`).
    public var consentCategory: String
    /// Skip events that do not grant ``consentCategory`` explicitly.
    public var requireConsent: Bool
    /// The stages to run, if not the default `consent, normalize, hash, validate, send`.
    public var pipeline: PipelineDefinition?
    /// How old an event may be (by its `timestamp`) and still be sent: TikTok attributes
    /// offline events up to 28 days after they happen (its longest click-through window).
    public var maxEventAgeDays: Int = TikTokSettings.attributionWindowDays
    /// How far ahead of now an event may be dated and still be sent (TikTok does not
    /// attribute events from the future; the margin absorbs clocks that run ahead).
    public var maxFutureDays: Int = 1
    /// What happens to an event older than ``maxEventAgeDays`` or dated more than
    /// ``maxFutureDays`` ahead.
    public var staleEvents: StaleEvents = .reject

    /// TikTok's longest attribution window for offline events, in days.
    public static let attributionWindowDays = 28

    /// What the validate stage does with an event outside the window (older than
    /// ``maxEventAgeDays``, or more than ``maxFutureDays`` ahead).
    public enum StaleEvents: String, Sendable, CaseIterable {
        /// Refused with the reason (the default: TikTok would not attribute it).
        case reject
        /// Sent, with a warning on the record.
        case warn
        /// Sent whatever its age (backfills, tests on old data).
        case off
    }

    public init(
        accessToken: String? = nil, eventSetID: String? = nil, partnerName: String? = nil,
        defaultCountryCode: String? = nil, testEventCode: String? = nil,
        consentCategory: String = "Advertising", requireConsent: Bool = false, pipeline: PipelineDefinition? = nil,
        maxEventAgeDays: Int = TikTokSettings.attributionWindowDays, maxFutureDays: Int = 1, staleEvents: StaleEvents = .reject
    ) {
        self.maxEventAgeDays = maxEventAgeDays
        self.maxFutureDays = maxFutureDays
        self.staleEvents = staleEvents
        self.accessToken = accessToken
        self.eventSetID = eventSetID
        self.partnerName = partnerName
        self.defaultCountryCode = defaultCountryCode
        self.testEventCode = testEventCode
        self.consentCategory = consentCategory
        self.requireConsent = requireConsent
        self.pipeline = pipeline
    }

    /// Checks the settings a run needs. Delivery needs the token; a dry run does not.
    public func validate(requireAccessToken: Bool) throws(SettingsError) {
        if requireAccessToken, accessToken?.isEmpty ?? true {
            throw SettingsError("access token is missing: set access_token in the settings file, pass --access-token, or export TIKTOK_ACCESS_TOKEN")
        }
        if let token = accessToken, token.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw SettingsError("access token contains control characters")
        }
        guard let id = eventSetID, !id.isEmpty else {
            throw SettingsError("event set id is missing: set event_set_id in the settings file, pass --event-set-id, or export TIKTOK_EVENT_SET_ID")
        }
        guard TikTokRoute.isValidEventSetID(id) else {
            throw SettingsError("event_set_id is not an event set id: 1 to 64 letters, digits, _ or - (TikTok's are 19 digits)")
        }
        if let partnerName, !TikTokRoute.isValidPartnerName(partnerName) {
            throw SettingsError("partner_name must be 1 to 64 characters without #, | or control characters")
        }
        if let code = defaultCountryCode {
            guard (1...3).contains(code.utf8.count), code.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), code.first != "0" else {
                throw SettingsError("default_country_code must be 1 to 3 digits without a leading 0 (e.g. 1 or 44)")
            }
        }
        if consentCategory.isEmpty { throw SettingsError("consent_category must not be empty") }
        if !(1...3650).contains(maxEventAgeDays) { throw SettingsError("max_event_age_days must be between 1 and 3650") }
        if !(0...3650).contains(maxFutureDays) { throw SettingsError("max_future_days must be between 0 and 3650") }
    }

    public var description: String {
        var parts = [
            "access_token: \(accessToken == nil ? "<unset>" : "<redacted>")",
            "event_set_id: \(eventSetID ?? "<unset>")",
        ]
        if let partnerName { parts.append("partner_name: \(partnerName)") }
        if let defaultCountryCode { parts.append("default_country_code: \(defaultCountryCode)") }
        if let testEventCode { parts.append("test_event_code: \(testEventCode)") }
        parts.append("consent_category: \(consentCategory)")
        parts.append("require_consent: \(requireConsent)")
        parts.append("max_event_age_days: \(maxEventAgeDays)")
        parts.append("max_future_days: \(maxFutureDays)")
        parts.append("stale_events: \(staleEvents.rawValue)")
        return "TikTokSettings(\(parts.joined(separator: ", ")))"
    }

    public var debugDescription: String { description }
}

extension TikTokSettings: CustomReflectable {
    /// `dump` and mirrors show the settings without the token.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "accessToken": accessToken == nil ? "<unset>" : "<redacted>", "eventSetID": eventSetID as Any,
            "partnerName": partnerName as Any, "defaultCountryCode": defaultCountryCode as Any,
            "testEventCode": testEventCode as Any, "consentCategory": consentCategory, "requireConsent": requireConsent,
            "pipeline": pipeline as Any, "maxEventAgeDays": maxEventAgeDays, "staleEvents": staleEvents.rawValue,
        ])
    }
}

/// A settings problem, worded for the person running the tool. Never contains the token.
public struct SettingsError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
