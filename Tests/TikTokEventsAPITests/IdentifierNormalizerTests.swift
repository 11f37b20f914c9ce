import ConversionEngine
import Testing

@testable import TikTokEventsAPI

@Suite struct IdentifierNormalizerTests {
    typealias Result = IdentifierNormalizer.Result

    @Test(arguments: [
        ("Test@Test.com", Result.keep("test@test.com")),
        ("  padded@example.com\t", .keep("padded@example.com")),  // DIFFERENCES 1: trimmed
        ("", .drop(reason: "blank")),  // DIFFERENCES 2
        ("   ", .drop(reason: "blank")),
        ("no-at-sign", .drop(reason: "not an email address")),  // DIFFERENCES 4
        ("@example.com", .drop(reason: "not an email address")),
        ("user@", .drop(reason: "not an email address")),
        (String(repeating: "AB", count: 32), .keep(String(repeating: "ab", count: 32))),
    ])
    func emails(input: String, expected: Result) {
        #expect(IdentifierNormalizer.email.normalize(input) == expected)
    }

    /// An address with an accent hashes the same whether the accent was typed as one character
    /// (NFC) or as a letter and a combining mark (NFD, as macOS file names and some forms give
    /// it): both become the NFC bytes, on the string path and the byte path alike. (Swift's `==`
    /// on strings ignores the difference, so the bytes are compared.)
    @Test(arguments: ["Jos\u{E9}.M\u{FC}ller@example.com", "Jose\u{301}.Mu\u{308}ller@example.com", "JOSE\u{301}.MU\u{308}LLER@EXAMPLE.COM"])
    func emailsAreHashedInNFC(input: String) throws {
        let expected = Array("jos\u{E9}.m\u{FC}ller@example.com".utf8)
        guard case .keep(let kept, nil) = IdentifierNormalizer.email.normalize(input) else {
            Issue.record("dropped")
            return
        }
        #expect(Array(kept.utf8) == expected)
        var bytes: [UInt8] = []
        var text = input
        let verdict = text.withUTF8 { utf8 in
            IdentifierNormalizer.email.normalize(utf8: UnsafeRawBufferPointer(utf8)) { bytes = Array($0) }
        }
        guard case .kept = verdict else {
            Issue.record("the byte path dropped it: \(verdict)")
            return
        }
        #expect(bytes == expected)
    }

    static let noCountryCode = IdentifierNormalizer.phoneWithoutCountryCode

    /// E.164, as docs/settings.md describes it.
    static let phoneCases: [(String, String?, Result)] = [
        ("+1555-555-5555", nil, Result.keep("+15555555555")),
        ("+1 (555) 555-5555", nil, .keep("+15555555555")),
        ("12345678901234", nil, .keep("+12345678901234", warning: noCountryCode)),  // Segment's result, with a warning
        ("555 0100", nil, .keep("+5550100", warning: noCountryCode)),
        ("(415) 555-0134", nil, .keep("+4155550134", warning: noCountryCode)),
        ("555 010", nil, .drop(reason: "phone number with 6 digits (7 to 15 expected)")),  // DIFFERENCES 3
        ("abc", nil, .drop(reason: "phone number with 0 digits (7 to 15 expected)")),
        ("+1-555-555-5555-99999", nil, .drop(reason: "phone number with 16 digits (7 to 15 expected)")),
        ("(555) 555-5555", "1", .keep("+15555555555")),  // default country code
        ("1 (555) 555-5555", "1", .keep("+15555555555")),  // NANP: the leading 1 is the country code
        ("020 7946 0958", "44", .keep("+442079460958")),  // the trunk 0 goes
        ("06 6982 1234", "39", .keep("+390669821234")),  // Italy keeps its 0
        ("+44 20 7946 0958", "1", .keep("+442079460958")),  // has +: no prefix
        ("0044 20 7946 0958", "1", .keep("+442079460958")),  // 00 is the international prefix
        ("0044 20 7946 0958", nil, .keep("+442079460958")),
        ("00 1 415 555 0123", nil, .keep("+14155550123")),
        ("+44 (0)20 7946 0958", nil, .keep("+442079460958")),  // the trunk mark goes
        ("tel:+1-415-555-0123", "1", .keep("+14155550123")),  // RFC 3966
        ("TEL:+1-415-555-0123;ext=77", nil, .keep("+14155550123")),
        ("tel:415-555-0123", "1", .keep("+14155550123")),
        ("", nil, .drop(reason: "blank")),
        (String(repeating: "C1", count: 32), nil, .keep(String(repeating: "C1", count: 32))),  // hashed: untouched
    ]

    @Test(arguments: phoneCases)
    func phones(input: String, countryCode: String?, expected: Result) {
        #expect(IdentifierNormalizer.phone(defaultCountryCode: countryCode).normalize(input) == expected)
    }

    /// The fused plan's in-place reading gives what the normalize stage gives.
    @Test(arguments: phoneCases)
    func phonesReadInPlaceAgree(input: String, countryCode: String?, expected: Result) {
        var text = input
        var seen: String?
        let verdict = text.withUTF8 { utf8 in
            IdentifierNormalizer.phone(defaultCountryCode: countryCode).normalize(utf8: UnsafeRawBufferPointer(utf8)) {
                seen = String(decoding: $0, as: UTF8.self)
            }
        }
        switch (verdict, expected) {
        case (.kept, .keep(let value, nil)): #expect(seen == value)
        case (.keptWithWarning(let warning), .keep(let value, let expectedWarning?)):
            #expect(seen == value)
            #expect(warning == expectedWarning)
        case (.blank, .drop(reason: "blank")): break
        case (.dropped(let reason), .drop(let expectedReason)): #expect(reason == expectedReason)
        default: Issue.record("\(input): \(verdict) where \(expected) was expected")
        }
    }

    @Test(arguments: [
        ("testId123-Contact", Result.keep("testid123-contact")),
        ("", .drop(reason: "blank")),
        (" ", .drop(reason: "blank")),
    ])
    func externalIDs(input: String, expected: Result) {
        #expect(IdentifierNormalizer.externalID.normalize(input) == expected)
    }
}
