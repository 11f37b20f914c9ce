import ConversionEngine
import Testing

@testable import TikTokOffline

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

    @Test(arguments: [
        ("+1555-555-5555", nil, Result.keep("+15555555555")),
        ("+1 (555) 555-5555", nil, .keep("+15555555555")),
        ("12345678901234", nil, .keep("+12345678901234")),
        ("555 0100", nil, .keep("+5550100")),
        ("555 010", nil, .drop(reason: "phone number with 6 digits (7 to 15 expected)")),  // DIFFERENCES 3
        ("abc", nil, .drop(reason: "phone number with 0 digits (7 to 15 expected)")),
        ("001-555-555-5555-9999", nil, .drop(reason: "phone number with 17 digits (7 to 15 expected)")),
        ("(555) 555-5555", "1", .keep("+15555555555")),  // default country code
        ("+44 20 7946 0958", "1", .keep("+442079460958")),  // has +: no prefix
        ("0044 20 7946 0958", "1", .keep("+00442079460958")),  // has 00: no prefix
        ("", nil, .drop(reason: "blank")),
        (String(repeating: "C1", count: 32), nil, .keep(String(repeating: "C1", count: 32))),  // hashed: untouched
    ] as [(String, String?, Result)])
    func phones(input: String, countryCode: String?, expected: Result) {
        #expect(IdentifierNormalizer.phone(defaultCountryCode: countryCode).normalize(input) == expected)
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
