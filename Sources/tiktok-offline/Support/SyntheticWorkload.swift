import JSONKit
import MappingKit

/// Realistic Segment events for benchmarks: the preset events in the proportions of a
/// shop's traffic, with products, identifiers in properties or traits, click ids, string
/// prices, and some events no preset matches. Deterministic for a given seed.
struct SyntheticWorkload: Sendable {
    var seed: UInt64

    init(seed: UInt64 = 0x5EED) {
        self.seed = seed
    }

    static let trackEvents = [
        "Order Completed", "Callback Started", "Subscription Created", "Form Submitted", "Product Viewed",
        "Product Clicked", "Products Searched", "Product Added to Wishlist", "Product Added", "Checkout Started",
        "Payment Info Entered", "Order Placed", "Download Link Clicked", "Signed Up", "Video Played", "Login",
        "Cart Viewed",
    ]

    /// `count` events as NDJSON text (one event per line).
    func ndjson(count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count * 900)
        var random = SplitMix(state: seed)
        for i in 0..<count {
            event(i, &random).serialize(into: &out)
            out.append(0x0A)
        }
        return out
    }

    func event(_ i: Int, _ random: inout SplitMix) -> JSON {
        let isPage = random.next(9) == 0
        var properties = JSONObject()
        var traits = JSONObject()
        let user = random.next(100_000)
        switch random.next(4) {
        case 0: properties["email"] = .string("Customer.\(user)@Example.com ")
        case 1: traits["email"] = .string("customer\(user)@example.com")
        case 2: properties["phone"] = .string("+1 (555) \(100 + random.next(900))-\(1000 + random.next(9000))")
        default: traits["phone"] = .string("+44 20 \(1000 + random.next(9000)) \(1000 + random.next(9000))")
        }
        if random.next(3) == 0 { properties["ttclid"] = .string("E.C.P.\(random.next(1 << 40))") }
        properties["currency"] = "USD"
        properties["value"] = random.next(5) == 0 ? .string("\(random.next(500)).99") : .double(Double(random.next(50_000)) / 100)
        var products: [JSON] = []
        for p in 0..<(1 + random.next(4)) {
            products.append([
                "product_id": random.next(4) == 0 ? .int(10_000 + p) : .string("sku-\(random.next(99_999))"),
                "name": .string("Product \(p)"),
                "price": random.next(3) == 0 ? .string("\(random.next(400)).5") : .double(Double(random.next(40_000)) / 100),
                "quantity": .int(1 + random.next(5)),
                "category": "Shoes",
                "brand": "Acme",
            ])
        }
        properties["products"] = .array(products)
        properties["product_id"] = .string("sku-\(random.next(99_999))")
        properties["price"] = .double(Double(random.next(40_000)) / 100)
        properties["quantity"] = .int(1 + random.next(3))
        var context: JSONObject = [
            "ip": .string("73.\(random.next(255)).\(random.next(255)).\(random.next(255))"),
            "locale": "en-US",
            "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
            "library": ["name": "analytics.js", "version": "2.11.1"],
            "page": [
                "path": "/p", "referrer": "https://www.google.com/", "title": "Shop",
                "url": .string("https://shop.example.com/p?x=\(i)" + (random.next(5) == 0 ? "&ttclid=url-\(i)" : "")),
            ],
        ]
        if !traits.isEmpty { context["traits"] = .object(traits) }
        var event: JSONObject = [
            "messageId": .string("msg-\(i)"),
            "type": isPage ? "page" : "track",
            "timestamp": "2024-01-22T00:38:59.341Z",
            "anonymousId": .string("anon-\(user)"),
            "context": .object(context),
            "properties": .object(properties),
            "integrations": [:],
        ]
        if random.next(3) != 0 { event["userId"] = .string("user-\(user)") }
        if !isPage { event["event"] = .string(Self.trackEvents[random.next(Self.trackEvents.count)]) }
        return .object(event)
    }
}

/// A small, fast, seedable generator.
struct SplitMix {
    var state: UInt64

    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z % UInt64(bound))
    }
}
