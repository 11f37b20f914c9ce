import ConversionEngine
import JSONKit
import MappingKit
import Testing

@testable import TikTokOffline

@Suite struct SettingsTests {
    @Test func readsADocumentWithEnvironmentReferences() throws {
        let document: JSON = [
            "access_token": "${TOKEN}", "event_set_id": "set-${REGION}-1", "partner_name": "Acme",
            "default_country_code": "44", "require_consent": true, "pipeline": ["consent", "send"],
        ]
        let settings = try TikTokSettings(json: document, environment: ["TOKEN": "secret-token", "REGION": "eu"])
        #expect(settings.accessToken == "secret-token")
        #expect(settings.eventSetID == "set-eu-1")
        #expect(settings.partnerName == "Acme")
        #expect(settings.defaultCountryCode == "44")
        #expect(settings.requireConsent)
        #expect(settings.pipeline?.stages == ["consent", "send"])
    }

    @Test(arguments: [
        (["access_token": "${MISSING}"] as JSON, "environment variable MISSING is not set"),
        (["acess_token": "x"] as JSON, "unknown setting 'acess_token'"),
        (["require_consent": "yes"] as JSON, "require_consent must be true or false"),
        (["pipeline": []] as JSON, "pipeline"),
        ("just text" as JSON, "expected a mapping of settings"),
    ] as [(JSON, String)])
    func refusesBadDocuments(document: JSON, message: String) {
        #expect {
            try TikTokSettings(json: document, environment: [:])
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test(arguments: [
        (TikTokSettings(eventSetID: "s"), true, "access token is missing"),
        (TikTokSettings(accessToken: "t"), false, "event set id is missing"),
        (TikTokSettings(accessToken: "t", eventSetID: "s", defaultCountryCode: "+1"), false, "default_country_code"),
        (TikTokSettings(accessToken: "t", eventSetID: "s", defaultCountryCode: "0044"), false, "default_country_code"),
        (TikTokSettings(accessToken: "t", eventSetID: "set 1"), false, "event_set_id is not an event set id"),
        (TikTokSettings(accessToken: "t", eventSetID: "s#crm"), false, "event_set_id is not an event set id"),
        (TikTokSettings(accessToken: "t", eventSetID: "s", partnerName: "Seg#ment"), false, "partner_name must be"),
        (TikTokSettings(accessToken: "t", eventSetID: "s", partnerName: "a|b"), false, "partner_name must be"),
        (TikTokSettings(accessToken: "t", eventSetID: "s", partnerName: ""), false, "partner_name must be"),
    ])
    func validation(settings: TikTokSettings, requireToken: Bool, message: String) {
        #expect {
            try settings.validate(requireAccessToken: requireToken)
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func environmentFillsWhatIsUnset() {
        var settings = TikTokSettings(eventSetID: "from-flags")
        settings.fillFromEnvironment(["TIKTOK_ACCESS_TOKEN": "env-token", "TIKTOK_EVENT_SET_ID": "from-env"])
        #expect(settings.accessToken == "env-token")
        #expect(settings.eventSetID == "from-flags")
    }

    @Test func theTokenIsNeverPrinted() {
        let settings = TikTokSettings(accessToken: "very-secret-token", eventSetID: "s")
        for text in ["\(settings)", String(describing: settings), String(reflecting: settings)] {
            #expect(!text.contains("very-secret-token"))
        }
    }
}

@Suite struct SettingsFileTests {
    @Test func readsYAMLWithEnvironmentExpansion() throws {
        let text = """
            access_token: ${TIKTOK_TOKEN}
            event_set_id: "7301234567890"
            partner_name: Acme
            pipeline: [consent, normalize, hash, validate, send]
            """
        let settings = try TikTokSettings(yaml: text, file: "settings.yaml", environment: ["TIKTOK_TOKEN": "tok"])
        #expect(settings.accessToken == "tok")
        #expect(settings.eventSetID == "7301234567890")
        #expect(settings.pipeline == .default)
    }

    @Test(arguments: [
        ("event_set_id: [unclosed", "settings.yaml"),
        ("", "empty"),
        ("- a\n- b", "expected a mapping of settings"),
    ])
    func refusesBrokenFiles(text: String, message: String) {
        #expect {
            try TikTokSettings(yaml: text, file: "settings.yaml", environment: [:])
        } throws: { error in
            "\(error)".contains(message)
        }
    }

    /// A settings file's errors say where, as `file:line:column:`, so an editor can jump to
    /// the spot; an unknown key suggests the nearest known one.
    @Test(arguments: [
        ("event_set_id: \"1\"\nacess_token: x\n", "settings.yaml:2:1: unknown setting 'acess_token'; did you mean 'access_token'?"),
        ("event_set_id: \"1\"\nrequire_consent: \"yes\"\n", "settings.yaml:2:18: require_consent must be true or false"),
        ("max_event_age_days: soon\n", "settings.yaml:1:21: max_event_age_days must be a whole number of days"),
        ("stale_events: later\n", "settings.yaml:1:15: stale_events must be reject, warn or off, not 'later'"),
        ("\naccess_token: ${NOT_SET}\n", "settings.yaml:2:15: access_token: environment variable NOT_SET is not set"),
        ("partner_name: [a]\n", "settings.yaml:1:15: partner_name must be a string"),
        ("a: 1\na: 2\n", "settings.yaml:2:1: duplicate key"),
        ("pipeline: {stage: hash}\n", "settings.yaml:1:11: "),
    ])
    func fileErrorsSayTheLineAndColumn(text: String, prefix: String) {
        #expect {
            try TikTokSettings(yaml: text, file: "settings.yaml", environment: [:])
        } throws: { error in
            "\(error)".hasPrefix(prefix)
        }
    }
}
