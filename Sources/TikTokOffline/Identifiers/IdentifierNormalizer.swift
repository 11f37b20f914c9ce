import ConversionEngine
import MappingKit

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
        case keep(String)
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
    enum Verdict {
        /// Kept: `body` saw the normalized value.
        case kept
        /// Dropped as blank (quietly, as ``normalize(_:)``'s `blank` reason).
        case blank
        /// Dropped for another reason, named as ``normalize(_:)`` names it.
        case dropped(reason: String)
    }

    /// ``normalize(_:)`` over UTF-8 text, calling `body` with the kept value's UTF-8: ASCII text
    /// (nearly every identifier) is normalized in a stack buffer without making strings; other
    /// text goes through ``normalize(_:)`` itself.
    func normalize(utf8 value: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) -> Verdict {
        guard value.allSatisfy({ $0 < 0x80 }) else {
            switch normalize(String(decoding: value, as: UTF8.self)) {
            case .keep(var kept):
                kept.withUTF8 { body(UnsafeRawBufferPointer($0)) }
                return .kept
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
            let prefix = code.map { Self.hasInternationalPrefix(trimmed) ? 0 : $0.utf8.count } ?? 0
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1 + prefix + value.count) { phone in
                phone[0] = UInt8(ascii: "+")
                var count = 1
                if prefix > 0, let code { for b in code.utf8 { phone[count] = b; count += 1 } }
                for b in value where b >= 0x30 && b <= 0x39 { phone[count] = b; count += 1 }
                guard (7...15).contains(count - 1) else { return .dropped(reason: Self.phoneNumber(digits: count - 1)) }
                body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(phone)[..<count]))
                return .kept
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

    /// ``hasInternationalPrefix(_:)`` for trimmed ASCII text.
    private static func hasInternationalPrefix(_ trimmed: UnsafeRawBufferPointer) -> Bool {
        trimmed.first == UInt8(ascii: "+") || (trimmed.count >= 2 && trimmed[0] == 0x30 && trimmed[1] == 0x30)
    }

    static let notAnEmailAddress = "not an email address"

    static func phoneNumber(digits: Int) -> String { "phone number with \(digits) digits (7 to 15 expected)" }

    /// Trimmed and lower-cased; blank or malformed addresses are dropped.
    static func email(_ value: String) -> Result {
        let email = lowercased(value.trimmingJSWhitespace())
        if email.isEmpty { return .drop(reason: "blank") }
        if SHA256Hex.looksHashed(email) { return .keep(email) }
        guard let at = email.utf8.firstIndex(of: UInt8(ascii: "@")),
            at != email.utf8.startIndex, email.utf8.index(after: at) != email.utf8.endIndex
        else { return .drop(reason: notAnEmailAddress) }
        return .keep(email)
    }

    /// Digits only with `+` in front; 7 to 15 digits or dropped.
    static func phone(_ value: String, defaultCountryCode: String?) -> Result {
        if value.trimmingJSWhitespace().isEmpty { return .drop(reason: "blank") }
        if SHA256Hex.looksHashed(value) { return .keep(value) }
        var digits: [UInt8] = []
        digits.reserveCapacity(16)
        for b in value.utf8 where b >= 0x30 && b <= 0x39 { digits.append(b) }
        if let code = defaultCountryCode, !Self.hasInternationalPrefix(value) {
            digits.insert(contentsOf: code.utf8, at: 0)
        }
        guard (7...15).contains(digits.count) else {
            return .drop(reason: phoneNumber(digits: digits.count))
        }
        return .keep("+" + String(decoding: digits, as: UTF8.self))
    }

    private static func hasInternationalPrefix(_ value: String) -> Bool {
        for scalar in value.unicodeScalars where !scalar.isJSWhitespace {
            if scalar == "+" { return true }
            return value.unicodeScalars.drop(while: \.isJSWhitespace).starts(with: "00".unicodeScalars)
        }
        return false
    }

    /// Lower-cased; blank ids are dropped.
    static func externalID(_ value: String) -> Result {
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
