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

    /// Trimmed and lower-cased; blank or malformed addresses are dropped.
    static func email(_ value: String) -> Result {
        let email = lowercased(value.trimmingJSWhitespace())
        if email.isEmpty { return .drop(reason: "blank") }
        if SHA256Hex.looksHashed(email) { return .keep(email) }
        guard let at = email.utf8.firstIndex(of: UInt8(ascii: "@")),
            at != email.utf8.startIndex, email.utf8.index(after: at) != email.utf8.endIndex
        else { return .drop(reason: "not an email address") }
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
            return .drop(reason: "phone number with \(digits.count) digits (7 to 15 expected)")
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
