import ConversionEngine
import MappingKit
import Testing

@testable import TikTokOffline

/// The shipped presets: Segment's names and subscriptions, and each file's own tests.
@Suite struct PresetTests {
    static let files = try! ShippedPresets.source.load()

    /// TIKTOK-DESTINATION.md §4: name, subscription, TikTok event, enabled.
    static let table: [(String, String, String, Bool)] = [
        ("Complete Payment", #"event = "Order Completed""#, "CompletePayment", true),
        ("Contact", #"event = "Callback Started""#, "Contact", true),
        ("Subscribe", #"event = "Subscription Created""#, "Subscribe", true),
        ("Submit Form", #"event = "Form Submitted""#, "SubmitForm", true),
        ("Page View", #"type="page""#, "PageView", false),
        ("View Content", #"event = "Product Viewed""#, "ViewContent", false),
        ("Click Button", #"event = "Product Clicked""#, "ClickButton", false),
        ("Search", #"event = "Products Searched""#, "Search", false),
        ("Add to Wishlist", #"event = "Product Added to Wishlist""#, "AddToWishlist", false),
        ("Add to Cart", #"event = "Product Added""#, "AddToCart", false),
        ("Initiate Checkout", #"event = "Checkout Started""#, "InitiateCheckout", false),
        ("Add Payment Info", #"event = "Payment Info Entered""#, "AddPaymentInfo", false),
        ("Place an Order", #"event = "Order Placed""#, "PlaceAnOrder", false),
        ("Download", #"event = "Download Link Clicked""#, "Download", false),
        ("Complete Registration", #"event = "Signed Up""#, "CompleteRegistration", false),
    ]

    @Test func theFifteenPresetsAreShipped() {
        #expect(Self.files.map(\.name).sorted() == Self.table.map(\.0).sorted())
    }

    @Test(arguments: table)
    func presetMatchesSegment(name: String, trigger: String, event: String, enabled: Bool) throws {
        let file = try #require(Self.files.first { $0.name == name })
        #expect(file.trigger.source == trigger)
        #expect(file.action == "reportOfflineEvent")
        #expect(file.enabled == enabled)
        #expect(file.defaults)
        #expect(file.mapping["event"] == .string(event))
        #expect(!file.tests.isEmpty, "every preset carries tests")
    }

    /// Each preset's mapping equals the preset in the reference vectors.
    @Test(arguments: Fixtures.vectors(kind: "preset"))
    func presetEqualsTheReferenceMapping(_ vector: Vector) throws {
        let engine = try TikTokDestination.engine(settings: TikTokSettings(eventSetID: "s"), enableAll: true, sink: DryRunSink())
        let compiled = try #require(engine.mappings.first { $0.name == vector["preset"]?.stringValue })
        #expect(compiled.mapping.source == vector["mapping"])
        #expect(compiled.trigger.matches(vector["event"]!) == vector.flag("subscription_matches"))
    }

    /// Each file's `tests:`, run by MappingKit's runner against the mapping that really runs.
    @Test(arguments: files)
    func presetOwnTestsPass(file: MappingFile) throws {
        let results = file.runTests(with: try TikTokDestination.effectiveMapping(for: file))
        #expect(results.contains { !$0.passed } == false, "\(results.filter { !$0.passed }.map { "\($0.name): \($0.failures)" })")
        #expect(results.count >= 2, "a firing and a non-firing case")
    }
}

extension MappingFile: CustomTestStringConvertible {
    public var testDescription: String { name }
}
