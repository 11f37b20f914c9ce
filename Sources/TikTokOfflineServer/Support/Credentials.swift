import Crypto
import Foundation
import HTTPTypes

/// The checks behind every authenticated endpoint. Comparisons take the same time whatever
/// the guess, and nothing here logs or returns a secret.
struct Credentials: Sendable {
    /// Write keys that may send events (compared by their SHA-256, so every key is as long to check).
    private let writeKeyDigests: [[UInt8]]
    private let webhookSecret: [UInt8]?
    private let adminDigest: [UInt8]?

    init(writeKeys: [String], webhookSecret: String?, adminToken: String?) {
        writeKeyDigests = writeKeys.map(Self.digest)
        self.webhookSecret = webhookSecret.map { Array($0.utf8) }
        adminDigest = adminToken.map(Self.digest)
    }

    private static func digest(_ text: some StringProtocol) -> [UInt8] { Array(SHA256.hash(data: Data(text.utf8))) }

    /// Equal digests, compared in the same time wherever they differ.
    private static func same(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    var acceptsWebhooks: Bool { webhookSecret != nil }
    var hasAdminToken: Bool { adminDigest != nil }

    /// True when `key` is one of the write keys.
    func isWriteKey(_ key: String?) -> Bool {
        guard let key else { return false }
        let digest = Self.digest(key)
        var found = false
        for candidate in writeKeyDigests where Self.same(candidate, digest) { found = true }
        return found
    }

    /// The write key of an `Authorization: Basic base64(key:)` header (Segment's SDKs send the
    /// key as the user name and an empty password), or nil.
    static func basicUser(_ headers: HTTPFields) -> String? {
        guard let value = headers[.authorization], value.lowercased().hasPrefix("basic "),
              let decoded = Data(base64Encoded: String(value.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let text = String(data: decoded, encoding: .utf8)
        else { return nil }
        return text.firstIndex(of: ":").map { String(text[..<$0]) } ?? text
    }

    /// True when `X-Signature` is the hex HMAC-SHA1 of `body` with the webhook secret.
    func isSignedWebhook(_ headers: HTTPFields, body: [UInt8]) -> Bool {
        guard let webhookSecret, let signature = headers[HTTPField.Name("X-Signature")!],
              let given = Self.bytes(hex: signature.trimmingCharacters(in: .whitespaces))
        else { return false }
        return HMAC<Insecure.SHA1>.isValidAuthenticationCode(given, authenticating: body, using: SymmetricKey(data: webhookSecret))
    }

    /// True when the request carries `Authorization: Bearer <admin token>`.
    func isAdmin(_ headers: HTTPFields) -> Bool {
        guard let adminDigest, let value = headers[.authorization], value.lowercased().hasPrefix("bearer ") else { return false }
        return Self.same(Self.digest(value.dropFirst(7).trimmingCharacters(in: .whitespaces)), adminDigest)
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0, !digits.isEmpty else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
