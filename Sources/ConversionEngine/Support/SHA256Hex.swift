import Crypto
// For `UnsafeRawBufferPointer`'s `DataProtocol`, which the inlinable `hash(utf8:_:)` uses.
import Foundation

/// SHA-256 of a string's UTF-8 bytes as 64 lowercase hex digits, and the test for values
/// that already look hashed.
public enum SHA256Hex {
    /// The lowercase hex SHA-256 of `text`'s UTF-8 bytes.
    public static func hash(_ text: String) -> String {
        var text = text
        let digest = text.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        // Through the digest's bytes: iterating the digest itself copies them into an array.
        return digest.withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: 64) { buffer in
                var i = 0
                for byte in bytes {
                    buffer[i] = hexDigits.utf8Start[Int(byte >> 4)]
                    buffer[i + 1] = hexDigits.utf8Start[Int(byte & 0x0F)]
                    i += 2
                }
                return 64
            }
        }
    }

    /// ``hash(_:)`` of UTF-8 text, calling `body` with the 64 hex digits (no string is made).
    /// Inlinable, so that callers get it specialized for their `R` (it runs for every identifier).
    @inlinable
    public static func hash<R>(utf8 text: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let digest = SHA256.hash(data: text)
        return digest.withUnsafeBytes { bytes in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { hex in
                var i = 0
                for byte in bytes {
                    hex[i] = hexDigits.utf8Start[Int(byte >> 4)]
                    hex[i + 1] = hexDigits.utf8Start[Int(byte & 0x0F)]
                    i += 2
                }
                return body(UnsafeRawBufferPointer(hex))
            }
        }
    }

    /// True for exactly 64 hex digits, either case: a value treated as already hashed.
    public static func looksHashed(_ text: String) -> Bool {
        let utf8 = text.utf8
        guard utf8.count == 64 else { return false }
        return utf8.allSatisfy(isHexDigit)
    }

    /// ``looksHashed(_:)`` for UTF-8 text.
    public static func looksHashed(utf8 text: UnsafeRawBufferPointer) -> Bool {
        text.count == 64 && text.allSatisfy(isHexDigit)
    }

    private static func isHexDigit(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46)
    }

    @usableFromInline static let hexDigits: StaticString = "0123456789abcdef"
}
