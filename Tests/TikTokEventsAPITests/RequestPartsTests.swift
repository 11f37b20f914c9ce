import Testing

import TikTokEventsAPI

@Suite struct EventTimeTests {
    @Test(arguments: [
        ("2024-01-08T13:52:50.212Z", Int64(1_704_721_970)),
        ("2024-01-08T13:52:50.999+02:00", 1_704_714_770),
        ("2024-01-08", 1_704_672_000),
        ("2024-01-08T13:52:50Z", 1_704_721_970),
        ("2024-01-08T13:52:50", 1_704_721_970),  // no zone: the reference's clock is UTC
        ("2024-01-08 13:52:50.1Z", 1_704_721_970),
        ("2024-01", 1_704_067_200),
        ("1969-12-31T23:59:59.500Z", -1),
        ("+002024-01-08T00:00:00Z", 1_704_672_000),
    ])
    func parses(text: String, seconds: Int64) {
        #expect(JSDate.epochSeconds(text) == seconds)
    }

    @Test(arguments: ["garbage", "1704721970", "", "2024-13-01", "2024-02-30", "2024-01-08T25:00:00Z", "2024-01-08T13:52:50.212Zjunk"])
    func rejects(text: String) {
        #expect(JSDate.parseMilliseconds(text) == nil)
    }
}

@Suite struct ClickIDFromURLTests {
    @Test(arguments: [
        ("https://shop.example.com/p?a=1&ttclid=url-click", "url-click"),
        ("https://a.example/?ttclid=first&ttclid=second", "first"),
        ("https://a.example/?ttclid=a%20b+c#frag", "a b c"),
        ("HTTPS://A.example:8443/x?ttclid=z", "z"),
    ] as [(String, String)])
    func finds(url: String, ttclid: String) {
        #expect(ClickIDFromURL.ttclid(in: url) == ttclid)
    }

    @Test(arguments: [
        "not a url ?ttclid=x",
        "https://a.example/?ttclid=",
        "https://a.example/#?ttclid=x",
        "https:///?ttclid=x",
        "https://a.example:99999/?ttclid=x",
        "/relative?ttclid=x",
        "https://a.example/?other=1",
    ])
    func ignores(url: String) {
        #expect(ClickIDFromURL.ttclid(in: url) == nil)
    }
}

@Suite struct ClickIDPrecheckTests {
    @Test(arguments: [
        ("https://a.example/?tttclid=x", true),
        ("https://a.example/?tt%63lid=x", true),
        ("https://a.example/?x=1", false),
        ("https://a.example/ttclid", false),
    ])
    func precheck(url: String, may: Bool) {
        #expect(ClickIDFromURL.mayHoldClickID(url) == may)
    }

    @Test func percentEncodedNamesAreDecoded() {
        #expect(ClickIDFromURL.ttclid(in: "https://a.example/?tt%63lid=x") == "x")
    }
}

@Suite struct ClickIDParameterTests {
    /// TikTok Conversions reads the parameter as `searchParams.get` returns it: an empty one is `""`.
    @Test(arguments: [
        ("https://shop.example.com/p?ttclid=", ""), ("https://shop.example.com/p?ttclid=a%20b", "a b"),
        ("https://shop.example.com/p?x=1", nil), ("not a url?ttclid=x", nil),
    ] as [(String, String?)])
    func theParameterIsReadEvenWhenEmpty(url: String, expected: String?) {
        #expect(ClickIDFromURL.parameter(in: url) == expected)
        #expect(ClickIDFromURL.ttclid(in: url) == expected.flatMap { $0.isEmpty ? nil : $0 })
    }
}
