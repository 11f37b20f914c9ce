import MappingKit
import Testing

@testable import TikTokOffline

/// The request builder's value writer must produce the serializer's exact bytes, on its fast
/// path and off it.
@Suite struct ElementTextTests {
    @Test(arguments: [
        "", "a", "plain-ascii-id", "exactly8", "sixteen-bytes-ok", "https://shop.example.com/p?x=18&ttclid=E.C.P",
        "quote\"inside", "0123456\"", "01234567\"", "back\\slash-after-eight", "tab\tand\nnewline",
        "\u{01}control-first", "long text whose only control character comes late\u{1F}", "Zoë — ünïcödé ✓",
        "emoji 🙂 then \"quote\" late in a long string",
    ])
    func stringsMatchTheSerializer(text: String) {
        var fast: [UInt8] = []
        ElementText.write(string: text, into: &fast)
        var reference: [UInt8] = []
        JSON.serializeString(text, into: &reference)
        #expect(fast == reference)
    }

    @Test(arguments: [
        JSON.null, true, false, 0, -42, 9_007_199_254_740_993, 43.98, 1e21, 5e-7, -0.0, .double(.nan), .double(.infinity),
        ["a", 1, [], ["b\"c"]], [:], ["key \"quoted\"": "v\n"],
        ["price": 49.5, "content_id": "p-1", "nested": ["x": [1, 2]]], [["k": "v"], .null],
    ] as [JSON])
    func valuesMatchTheSerializer(value: JSON) {
        var fast: [UInt8] = []
        ElementText.write(value, into: &fast)
        var reference: [UInt8] = []
        value.serialize(into: &reference)
        #expect(fast == reference)
    }
}
