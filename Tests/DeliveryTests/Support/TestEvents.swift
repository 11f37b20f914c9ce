import ConversionEngine
import Delivery
import Foundation
import JSONKit
import MappingKit
import TikTokOffline

/// Events API `data` elements shaped like the request builder's output, with fake (but well-formed) hashes.
enum TestEvents {
    /// A 64-hex-character stand-in for a SHA-256 digest, distinct per seed.
    static func hash(_ seed: Int) -> String {
        let hex = String(UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15, radix: 16)
        return String(repeating: "0", count: 64 - hex.count) + hex
    }

    static func element(_ n: Int, event: String = "CompletePayment", email: String? = nil) -> JSON {
        [
            "event": .string(event),
            "event_time": .int(1_704_721_970 + n),
            "event_id": .string("event-\(n)"),
            "user": ["email": [.string(email ?? hash(n))], "phone": [], "external_id": [.string(hash(n + 1))]],
            "properties": ["contents": [], "content_type": "product", "value": .double(Double(n % 100) + 0.5), "currency": "USD"],
            "page": ["url": "https://shop.example/checkout"],
            "limited_data_use": false,
        ]
    }

    /// An element TikTok refuses: the email is not a hash.
    static func badElement(_ n: Int) -> JSON { element(n, email: "not-a-hash") }

    static func messages(_ range: Range<Int>) -> [OutboxMessage] {
        range.map { OutboxMessage(tiktokEvent: element($0)) }
    }
}
