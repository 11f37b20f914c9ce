import ConversionEngine
import Foundation
import JSONKit

/// Turns one raw identifier into the form TikTok matches on, before hashing.
///
/// Values that already look hashed (64 hex digits) are left for the hasher to pass through.
public enum IdentifierNormalizer: Sendable {
    case email
    case phone(defaultCountryCode: String?)
    case externalID
    /// A category this destination does not know: values are kept as written (and hashed).
    case verbatim

    /// The personal-data category names the schema may use.
    public static let categories = ["email", "phone", "external_id"]

    public init(category: String, defaultCountryCode: String?) {
        switch category {
        case "email": self = .email
        case "phone": self = .phone(defaultCountryCode: defaultCountryCode)
        case "external_id": self = .externalID
        default: self = .verbatim
        }
    }

    /// What became of one value.
    public enum Result: Equatable, Sendable {
        /// Kept in this form; `warning`, when set, says why it may not match (never the value).
        case keep(String, warning: String? = nil)
        /// Dropped; `reason` names the problem, never the value.
        case drop(reason: String)
    }

    public func normalize(_ value: String) -> Result {
        switch self {
        case .email: Self.email(value)
        case .phone(let code): Self.phone(value, defaultCountryCode: code)
        case .externalID: Self.externalID(value)
        case .verbatim: value.trimmingJSWhitespace().isEmpty ? .drop(reason: "blank") : .keep(value)
        }
    }

    /// What ``normalize(utf8:_:)`` did with a value.
    package enum Verdict {
        /// Kept: `body` saw the normalized value.
        case kept
        /// Kept, with a warning that it may not match (``Result/keep(_:warning:)``).
        case keptWithWarning(String)
        /// Dropped as blank (quietly, as ``normalize(_:)``'s `blank` reason).
        case blank
        /// Dropped for another reason, named as ``normalize(_:)`` names it.
        case dropped(reason: String)
    }

    /// ``normalize(_:)`` over UTF-8 text, calling `body` with the kept value's UTF-8: ASCII text
    /// (nearly every identifier) is normalized in a stack buffer without making strings; other
    /// text goes through ``normalize(_:)`` itself.
    package func normalize(utf8 value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) -> Verdict {
        guard value.allSatisfy({ $0 < 0x80 }) else {
            switch normalize(String(decoding: value, as: UTF8.self)) {
            case .keep(var kept, let warning):
                kept.withUTF8 { body(UnsafeRawBufferPointer($0)) }
                return warning.map { .keptWithWarning($0) } ?? .kept
            case .drop(let reason):
                return reason == "blank" ? .blank : .dropped(reason: reason)
            }
        }
        let trimmed = Self.trimmingASCIIWhitespace(value)
        if trimmed.isEmpty { return .blank }
        switch self {
        case .email:
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: trimmed.count) { email in
                for (i, b) in trimmed.enumerated() { email[i] = Self.lowercased(b) }
                let email = UnsafeRawBufferPointer(email)
                if !SHA256Hex.looksHashed(utf8: email) {
                    guard let at = email.firstIndex(of: UInt8(ascii: "@")), at != 0, at != email.count - 1 else {
                        return .dropped(reason: Self.notAnEmailAddress)
                    }
                }
                body(email)
                return .kept
            }
        case .phone(let code):
            if SHA256Hex.looksHashed(utf8: value) {
                body(value)
                return .kept
            }
            return Self.withE164(trimmed, defaultCountryCode: code) { phone in
                switch phone {
                case .number(let number, let warning):
                    body(number)
                    return warning.map { .keptWithWarning($0) } ?? .kept
                case .invalid(let reason): return .dropped(reason: reason)
                }
            }
        case .externalID:
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: value.count) { id in
                for (i, b) in value.enumerated() { id[i] = Self.lowercased(b) }
                body(UnsafeRawBufferPointer(id))
                return .kept
            }
        case .verbatim:
            body(value)
            return .kept
        }
    }

    /// ASCII's JavaScript whitespace: tab, line feed, vertical tab, form feed, carriage return, space.
    private static func isASCIIWhitespace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    private static func trimmingASCIIWhitespace(_ value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        guard let start = value.firstIndex(where: { !isASCIIWhitespace($0) }) else { return UnsafeRawBufferPointer(rebasing: value[0..<0]) }
        let end = value.lastIndex(where: { !isASCIIWhitespace($0) })!
        return UnsafeRawBufferPointer(rebasing: value[start...end])
    }

    private static func lowercased(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b + 0x20 : b }

    package static let notAnEmailAddress = "not an email address"

    package static func phoneNumber(digits: Int) -> String { "phone number with \(digits) digits (7 to 15 expected)" }

    /// Trimmed, lower-cased and in Unicode NFC (so `é` typed as one character or as `e` and
    /// a combining accent hashes the same); blank or malformed addresses are dropped. ASCII
    /// text, nearly every address, is its own NFC and takes the byte path above instead.
    package static func email(_ value: String) -> Result {
        let email = lowercased(value.trimmingJSWhitespace()).precomposedStringWithCanonicalMapping
        if email.isEmpty { return .drop(reason: "blank") }
        if SHA256Hex.looksHashed(email) { return .keep(email) }
        guard let at = email.utf8.firstIndex(of: UInt8(ascii: "@")),
            at != email.utf8.startIndex, email.utf8.index(after: at) != email.utf8.endIndex
        else { return .drop(reason: notAnEmailAddress) }
        return .keep(email)
    }

    /// E.164: `+`, the country code and the number; 7 to 15 digits or dropped (see ``withE164``).
    package static func phone(_ value: String, defaultCountryCode: String?) -> Result {
        if value.trimmingJSWhitespace().isEmpty { return .drop(reason: "blank") }
        if SHA256Hex.looksHashed(value) { return .keep(value) }
        var text = value.trimmingJSWhitespace()
        return text.withUTF8 { utf8 in
            withE164(UnsafeRawBufferPointer(utf8), defaultCountryCode: defaultCountryCode) { phone in
                switch phone {
                case .number(let number, let warning): .keep(String(decoding: number, as: UTF8.self), warning: warning)
                case .invalid(let reason): .drop(reason: reason)
                }
            }
        }
    }

    /// A phone number as ``withE164`` reads it.
    package enum Phone {
        /// `+` and its digits; `warning` when it cannot be known to be international.
        case number(UnsafeRawBufferPointer, warning: String?)
        case invalid(reason: String)
    }

    /// The warning on a phone written without `+` or `00` when no default country code is set.
    public static let phoneWithoutCountryCode =
        "a number without a country code (no + or 00, and no --default-country-code) is sent as written and may not match"

    /// A trimmed phone number in E.164 form, written by hand because it is this project's own
    /// rule (TikTok matches on E.164; no library here knows national dialling plans):
    /// - a `tel:` scheme goes, and with it anything after `;` (`;ext=…`);
    /// - everything but digits is ignored, except a leading `+` or `00` (the international
    ///   prefix: the country code follows) and a `(0)` trunk mark after it (`+44 (0)20…`);
    /// - a number with neither is national: `defaultCountryCode` goes in front, after its
    ///   trunk prefix is taken off (a leading `0`, except for Italy's 39, where it belongs to the
    ///   number; for 1, a leading 1 of an eleven-digit number is the country code itself).
    ///   Without a default code it is kept as Segment keeps it (`+` and the digits), with
    ///   ``phoneWithoutCountryCode``;
    /// - 7 to 15 digits, or invalid.
    package static func withE164<R>(_ trimmed: UnsafeRawBufferPointer, defaultCountryCode code: String?, _ body: (Phone) -> R) -> R {
        var text = trimmed
        if text.count >= 4, lowercased(text[0]) == UInt8(ascii: "t"), lowercased(text[1]) == UInt8(ascii: "e"),
            lowercased(text[2]) == UInt8(ascii: "l"), text[3] == UInt8(ascii: ":")
        {
            text = trimmingASCIIWhitespace(UnsafeRawBufferPointer(rebasing: text[4...]))
            if let parameters = text.firstIndex(of: UInt8(ascii: ";")) { text = UnsafeRawBufferPointer(rebasing: text[..<parameters]) }
        }
        var international = false
        if text.first == UInt8(ascii: "+") {
            international = true
            text = UnsafeRawBufferPointer(rebasing: text[1...])
        } else if text.count >= 2, text[0] == 0x30, text[1] == 0x30 {
            international = true
            text = UnsafeRawBufferPointer(rebasing: text[2...])
        }
        let codeLength = international ? 0 : code?.utf8.count ?? 0
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1 + codeLength + text.count) { phone in
            phone[0] = UInt8(ascii: "+")
            var count = 1
            var i = 0
            while i < text.count {
                let b = text[i]
                if international, b == UInt8(ascii: "("), i + 2 < text.count, text[i + 1] == 0x30, text[i + 2] == UInt8(ascii: ")") {
                    i += 3
                    continue
                }
                if b >= 0x30 && b <= 0x39 {
                    phone[count] = b
                    count += 1
                }
                i += 1
            }
            var warning: String?
            if !international {
                if let code {
                    var national = UnsafeMutableBufferPointer(rebasing: phone[1..<count])
                    if code == "1", national.count == 11, national.first == UInt8(ascii: "1") {
                        national = UnsafeMutableBufferPointer(rebasing: national[1...])
                    } else if code != "39", national.first == 0x30 {
                        national = UnsafeMutableBufferPointer(rebasing: national[1...])
                    }
                    let digits = Array(national)
                    count = 1
                    for b in code.utf8 { phone[count] = b; count += 1 }
                    for b in digits { phone[count] = b; count += 1 }
                } else if count > 1 {
                    warning = phoneWithoutCountryCode
                }
            }
            guard (7...15).contains(count - 1) else { return body(.invalid(reason: phoneNumber(digits: count - 1))) }
            return body(.number(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(phone)[..<count]), warning: warning))
        }
    }

    /// Lower-cased; blank ids are dropped.
    package static func externalID(_ value: String) -> Result {
        if value.trimmingJSWhitespace().isEmpty { return .drop(reason: "blank") }
        return .keep(lowercased(value))
    }

    /// `text.lowercased()`, but `text` itself (no new string) when it is ASCII without capitals.
    private static func lowercased(_ text: String) -> String {
        let unchanged = text.utf8.withContiguousStorageIfAvailable { utf8 in
            !utf8.contains { ($0 >= 0x41 && $0 <= 0x5A) || $0 >= 0x80 }
        }
        return unchanged == true ? text : text.lowercased()
    }
}
