import ConversionEngine
import Foundation
import Testing

@testable import TikTokOffline
import TikTokEventsAPI

/// The access token never shows, however a value is printed.
@Suite struct RedactionTests {
    static let token = "tok-SECRET-0123456789"

    private static func renderings(_ value: Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        return ["\(value)", String(reflecting: value), dumped, String(describing: Mirror(reflecting: value).children.map { $0.value })]
    }

    @Test func settingsHideTheToken() {
        let settings = TikTokSettings(accessToken: Self.token, eventSetID: "set-1", partnerName: "Acme", testEventCode: "T1")
        for text in Self.renderings(settings) {
            #expect(!text.contains("SECRET"), "\(text)")
            #expect(text.contains("set-1"), "the rest still shows: \(text)")
        }
    }

    @Test func routesHideTheToken() {
        let route = TikTokRoute(eventSetID: "set-1", partnerName: "Acme", accessToken: Self.token, testEventCode: "T1")
        for text in Self.renderings(route) + Self.renderings([route]) {
            #expect(!text.contains("SECRET"), "\(text)")
            #expect(text.contains("set-1"), "\(text)")
        }
    }
}
