import ConversionEngine
import JSONKit
import MappingKit

extension TikTokSettings {
    /// The keys a settings file may hold.
    public static let fileKeys = [
        "access_token", "event_set_id", "partner_name", "default_country_code", "test_event_code",
        "consent_category", "require_consent", "pipeline", "max_event_age_days", "max_future_days", "stale_events",
    ]

    /// Reads a settings file. String values may use `${NAME}` to take an environment
    /// variable (an unset variable is an error):
    ///
    /// ```yaml
    /// access_token: ${TIKTOK_ACCESS_TOKEN}
    /// event_set_id: "7123456789"
    /// partner_name: Acme
    /// default_country_code: "1"
    /// pipeline: [consent, normalize, hash, validate, send]
    /// max_event_age_days: 28        # older events are stale
    /// max_future_days: 1            # so are events dated further ahead
    /// stale_events: reject          # or warn, or off
    /// ```
    ///
    /// Every error names where it is, as `file:line:column: message`, and an unknown key
    /// comes with the nearest known one (`did you mean 'access_token'?`).
    public init(yaml text: String, file: String? = nil, environment: [String: String]) throws(SettingsError) {
        let where_ = file ?? "settings"
        let json: JSON
        let sourceMap: SourceMap
        do {
            guard let document = try YAML.parse(text, file: file, limits: .default) else {
                throw SettingsError("\(where_): the file is empty")
            }
            (json, sourceMap) = try document.toJSONWithSourceMap()
        } catch let error as SettingsError {
            throw error
        } catch let error as YAMLError {
            throw SettingsError(error.file == nil ? "\(where_): \(error)" : "\(error)")
        } catch {
            throw SettingsError("\(where_): \(error)")
        }
        try self.init(json: json, source: where_, sourceMap: sourceMap, environment: environment)
    }

    /// Reads settings from an already parsed document (see ``init(yaml:file:environment:)``);
    /// with its `sourceMap`, errors say the line and column of the setting.
    public init(
        json: JSON, source: String = "settings", sourceMap: SourceMap? = nil, environment: [String: String]
    ) throws(SettingsError) {
        /// `source:line:column` of the setting `key` (its key when `atKey`, else its value).
        func at(_ key: String, atKey: Bool = false) -> String {
            let path = "/" + key
            guard let mark = atKey ? sourceMap?.keyMark(at: path) : sourceMap?.valueMark(at: path) else { return source }
            return "\(source):\(mark)"
        }
        guard case .object(let root) = json else { throw SettingsError("\(at("")): expected a mapping of settings") }
        self.init()
        for key in root.keys where !Self.fileKeys.contains(key) {
            var message = "\(at(key, atKey: true)): unknown setting '\(key)'"
            if let guess = Suggestions.closest(to: key, among: Self.fileKeys) { message += "; did you mean '\(guess)'?" }
            throw SettingsError(message + " (expected one of \(Self.fileKeys.joined(separator: ", ")))")
        }
        func string(_ key: String) throws(SettingsError) -> String? {
            switch root[key] {
            case nil, .null?: return nil
            case .string(let s)?: return try Self.expand(s, key: key, source: at(key), environment: environment)
            case .int(let i)?: return String(i)
            default: throw SettingsError("\(at(key)): \(key) must be a string")
            }
        }
        accessToken = try string("access_token")
        eventSetID = try string("event_set_id")
        partnerName = try string("partner_name")
        defaultCountryCode = try string("default_country_code")
        testEventCode = try string("test_event_code")
        if let category = try string("consent_category") { consentCategory = category }
        switch root["require_consent"] {
        case nil, .null?: break
        case .bool(let b)?: requireConsent = b
        default: throw SettingsError("\(at("require_consent")): require_consent must be true or false")
        }
        switch root["max_event_age_days"] {
        case nil, .null?: break
        case .int(let days)?: maxEventAgeDays = days
        default: throw SettingsError("\(at("max_event_age_days")): max_event_age_days must be a whole number of days")
        }
        switch root["max_future_days"] {
        case nil, .null?: break
        case .int(let days)?: maxFutureDays = days
        default: throw SettingsError("\(at("max_future_days")): max_future_days must be a whole number of days")
        }
        if let policy = try string("stale_events") {
            guard let value = StaleEvents(rawValue: policy) else {
                throw SettingsError("\(at("stale_events")): stale_events must be reject, warn or off, not '\(policy)'")
            }
            staleEvents = value
        }
        if let pipeline = root["pipeline"] {
            do {
                self.pipeline = try PipelineDefinition(json: pipeline)
            } catch {
                throw SettingsError("\(at("pipeline")): \(error)")
            }
        }
    }

    /// Replaces each `${NAME}` in `value` with the environment variable `NAME`.
    static func expand(_ value: String, key: String, source: String, environment: [String: String]) throws(SettingsError) -> String {
        guard value.contains("${") else { return value }
        var result = ""
        var rest = Substring(value)
        while let start = rest.range(of: "${") {
            result += rest[rest.startIndex..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw SettingsError("\(source): \(key): unterminated ${ in value")
            }
            let name = String(rest[start.upperBound..<end])
            guard !name.isEmpty, name.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }) else {
                throw SettingsError("\(source): \(key): '${\(name)}' is not a valid environment variable reference")
            }
            guard let replacement = environment[name] else {
                throw SettingsError("\(source): \(key): environment variable \(name) is not set")
            }
            result += replacement
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }

    /// Fills what is still unset from `TIKTOK_ACCESS_TOKEN` and `TIKTOK_EVENT_SET_ID`.
    public mutating func fillFromEnvironment(_ environment: [String: String]) {
        if accessToken == nil, let token = environment["TIKTOK_ACCESS_TOKEN"], !token.isEmpty { accessToken = token }
        if eventSetID == nil, let id = environment["TIKTOK_EVENT_SET_ID"], !id.isEmpty { eventSetID = id }
    }
}
