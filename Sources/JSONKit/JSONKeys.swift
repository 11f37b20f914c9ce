/// An ASCII member name of at most 16 bytes, reduced to its length and two words (the first
/// eight bytes and the last eight, zero-padded), which together say exactly which bytes it has.
struct ShortKey: Hashable {
    static let maxLength = 16

    let length: Int
    let head: UInt64
    let tail: UInt64

    /// Reads `bytes[start..<start + length]`, which the caller has found to be ASCII.
    @inline(__always)
    init(_ bytes: UnsafeRawBufferPointer, start: Int, length: Int) {
        self.length = length
        head = Self.word(bytes, start, min(length, 8))
        tail = length > 8 ? Self.word(bytes, start + length - 8, 8) : 0
    }

    @inline(__always)
    private static func word(_ bytes: UnsafeRawBufferPointer, _ start: Int, _ count: Int) -> UInt64 {
        if start + 8 <= bytes.count {
            let word = bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self)
            return count == 8 ? word : word & ((1 << (8 * UInt64(count))) - 1)
        }
        var word: UInt64 = 0
        for k in 0..<count { word |= UInt64(bytes[start + k]) << (8 * UInt64(k)) }
        return word
    }

    /// A non-zero summary: different fingerprints mean different keys.
    @inline(__always)
    var fingerprint: UInt64 {
        ((head &* 0x9E37_79B9_7F4A_7C15) ^ (tail &* 0xC2B2_AE3D_27D4_EB4F) ^ UInt64(length)) | 1
    }
}

/// Ready-made strings for the member names Segment events use, so the parser hands out a
/// shared string instead of validating and building one from bytes for every member.
struct KnownKeys: Sendable {
    private struct Entry: Sendable {
        let key: ShortKey
        let string: String
    }

    private static let slotBits = 8
    /// Open addressing, probed linearly; a power of two at most half full.
    private let slots: [Entry?]

    private init(_ names: [String]) {
        var slots = [Entry?](repeating: nil, count: 1 << Self.slotBits)
        for name in names {
            let utf8 = Array(name.utf8)
            precondition(utf8.count <= ShortKey.maxLength && utf8.allSatisfy { $0 < 0x80 })
            let key = utf8.withUnsafeBytes { ShortKey($0, start: 0, length: utf8.count) }
            var slot = Self.slot(key)
            while let existing = slots[slot] {
                if existing.key == key { break }
                slot = (slot + 1) & (slots.count - 1)
            }
            slots[slot] = Entry(key: key, string: name)
        }
        self.slots = slots
    }

    @inline(__always)
    private static func slot(_ key: ShortKey) -> Int {
        Int(truncatingIfNeeded: key.fingerprint >> (64 - UInt64(slotBits)))
    }

    /// The shared string for `key`, or `nil` when it is not a known name.
    @inline(__always)
    func string(for key: ShortKey) -> String? {
        var slot = Self.slot(key)
        return slots.withUnsafeBufferPointer { slots in
            while let entry = slots[slot] {
                if entry.key == key { return entry.string }
                slot = (slot + 1) & (slots.count - 1)
            }
            return nil
        }
    }

    /// The Segment spec's common fields, context fields and e-commerce properties.
    static let segment = KnownKeys([
        "anonymousId", "channel", "context", "event", "integrations", "messageId", "properties", "receivedAt",
        "sentAt", "timestamp", "type", "userId", "traits", "version", "groupId", "previousId",
        "name", "category", "active", "app", "build", "namespace", "campaign", "source", "medium", "term", "content",
        "device", "id", "advertisingId", "manufacturer", "model", "token", "ip", "library",
        "locale", "location", "city", "country", "latitude", "longitude", "region", "speed", "network", "bluetooth",
        "carrier", "cellular", "wifi", "os", "page", "path", "referrer", "search", "title", "url", "keywords",
        "screen", "width", "height", "density", "timezone", "userAgent", "userAgentData", "brands", "mobile",
        "platform", "email", "phone", "firstName", "lastName", "address", "street", "state",
        "postalCode", "birthday", "gender", "company", "createdAt", "description", "username", "website",
        "order_id", "checkout_id", "shop_id", "affiliation", "total", "subtotal", "revenue", "shipping", "tax",
        "discount", "coupon", "currency", "value", "products", "product_id", "sku", "brand", "variant", "price",
        "quantity", "position", "image_url", "query", "cart_id", "list_id", "content_ids", "ttclid", "ttp",
        "lead_id", "limited_data_use", "test_event_code", "event_id", "external_id", "contents", "content_type",
    ])
}
