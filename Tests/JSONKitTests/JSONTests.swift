@testable import JSONKit
import Testing

@Suite struct JSONTests {
    @Test(arguments: [
        ("{\"b\":1,\"a\":[true,null,43.98,-0.5,1e21,\"x\\n\\u00e9\"]}", "{\"b\":1,\"a\":[true,null,43.98,-0.5,1e+21,\"x\\né\"]}"),
        ("123456789012345678901", "123456789012345680000"),
        ("1e-7", "1e-7"),
        ("100.0", "100"),
        ("{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":3,\"b\":2}"),
    ])
    func roundTrip(input: String, output: String) throws {
        #expect(try JSON.parse(input).serialized() == output)
    }

    @Test(arguments: ["{", "[1,]", "01", "\"abc", "{\"a\" 1}", "tru", "1 2"])
    func rejectsMalformed(input: String) {
        #expect(throws: JSONParseError.self) { try JSON.parse(input) }
    }

    @Test func boundsDepth() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSON.parse(deep) }
    }

    @Test func errorsSayWhere() {
        do {
            _ = try JSON.parse("{\n  \"a\": tru\n}")
            Issue.record("expected an error")
        } catch {
            #expect(error.line == 2)
            #expect(error.column == 8)
        }
    }
}

@Suite struct JSONFastPathTests {
    /// A quote, backslash or control character at every offset around the 8-byte words
    /// the scanner reads.
    @Test(arguments: 0..<20)
    func specialCharacterAtAnyOffset(offset: Int) throws {
        for special in ["\"", "\\", "\n", "\u{1}", "é"] {
            let text = String(repeating: "a", count: offset) + special + String(repeating: "b", count: 19 - offset)
            let json = JSON.string(text)
            let serialized = json.serialized()
            #expect(try JSON.parse(serialized) == json, "\(serialized)")
        }
    }

    /// Strings shorter than one word are scanned as a padded word.
    @Test(arguments: 1..<8)
    func specialCharacterInShortText(length: Int) throws {
        for offset in 0..<length {
            for (special, escaped) in [("\"", #"\""#), ("\\", #"\\"#), ("\n", #"\n"#), ("\u{1}", #"\u0001"#), ("é", "é")] {
                let text = String(repeating: "a", count: offset) + special + String(repeating: "b", count: length - offset - 1)
                let expected = "\"" + String(repeating: "a", count: offset) + escaped
                    + String(repeating: "b", count: length - offset - 1) + "\""
                #expect(JSON.string(text).serialized() == expected)
                #expect(try JSON.parse(expected) == .string(text))
            }
        }
    }

    @Test(arguments: [
        (131.94, "131.94"), (-2.5, "-2.5"), (0.1 + 0.2, "0.30000000000000004"), (123456789012345.6, "123456789012345.6"),
        (0.0001, "0.0001"), (0.00001, "0.00001"), (0.000001, "0.000001"), (1e-7, "1e-7"), (-1.5e-9, "-1.5e-9"),
        (1e15, "1000000000000000"), (1.5e16, "15000000000000000"), (1e21, "1e+21"), (5e-324, "5e-324"),
    ])
    func numbersFormatAsJavaScriptDoes(value: Double, text: String) {
        #expect(JSNumber.format(value) == text)
        #expect(JSON.double(value).serialized() == text)
    }

    /// Prices and other short fractions take a shorter way (``JSNumber/fewDecimals(_:)``): it
    /// gives the shortest digits, as the general way does, for every value it takes.
    @Test(arguments: 0..<8)
    func shortFractionsFormatAsTheShortestDigits(seed: Int) {
        var random = Seeded(state: UInt64(seed) &+ 0x9E37_79B9)
        var taken = 0
        for i in 0..<50_000 {
            let scale = [1.0, 10, 100, 1000, 1e4, 1e6, 1e9, 1e12][seed]
            let value: Double =
                switch i % 4 {
                case 0: Double(Int.random(in: -999_999...999_999, using: &random)) / [10.0, 100, 1000][i % 3] * (scale / 1e3).rounded(.up)
                case 1: Double.random(in: -scale...scale, using: &random)
                case 2: (Double.random(in: 0...scale, using: &random) * 100).rounded() / 100
                default: Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &random))
                }
            guard value.isFinite, value != value.rounded() else { continue }
            if let text = JSNumber.fewDecimals(value) {
                taken += 1
                #expect(text == JSNumber.laidOut(value), "\(value.bitPattern)")
                #expect(Double(text) == value)
            }
        }
        #expect(taken > 10_000)
    }

    /// Knuth's MMIX generator, its high bits folded in: the same values on every run.
    private struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state ^ (state >> 29)
        }
    }

    @Test(arguments: [
        (#""\"\\\/\b\f\n\r\t\u0000\u001f\u00e9""#, #""\"\\/\b\f\n\r\t\u0000\u001fé""#),
        (#""\ud83d\ude00 and \ud800 alone""#, "\"😀 and \u{FFFD} alone\""),
        (#""a long string with no escapes at all, well past eight bytes""#, #""a long string with no escapes at all, well past eight bytes""#),
    ])
    func escapesAsJSONStringifyDoes(input: String, output: String) throws {
        #expect(try JSON.parse(input).serialized() == output)
    }

    /// `serializeString` appends plain strings directly; every string comes out as a whole
    /// value would write it, after what is already in the buffer.
    @Test(arguments: ["", "plain", "Complete Payment (preset)", "ünïcödé", "tab\there", "quote\"", "ctl\u{1F}", "\\"])
    func serializeStringAppendsWhatSerializedWrites(text: String) {
        var out = Array("[".utf8)
        JSON.serializeString(text, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "[" + JSON.string(text).serialized())
    }

    /// Strings are written straight into the bytes, plain runs copied as they are: around
    /// every kind of escape, at every position relative to the eight-byte scan.
    @Test(arguments: [
        ("", #""""#), ("a", #""a""#), ("plain-ascii-id", #""plain-ascii-id""#), ("exactly8", #""exactly8""#),
        ("sixteen-bytes-ok", #""sixteen-bytes-ok""#),
        ("https://shop.example.com/p?x=18&ttclid=E.C.P", #""https://shop.example.com/p?x=18&ttclid=E.C.P""#),
        ("quote\"inside", #""quote\"inside""#), ("0123456\"", #""0123456\"""#), ("01234567\"", #""01234567\"""#),
        ("back\\slash-after-eight", #""back\\slash-after-eight""#), ("tab\tand\nnewline", #""tab\tand\nnewline""#),
        ("\u{01}control-first", #""\u0001control-first""#),
        ("long text whose only control character comes late\u{1F}", #""long text whose only control character comes late\u001f""#),
        ("Zoë — ünïcödé ✓", "\"Zoë — ünïcödé ✓\""),
        ("emoji 🙂 then \"quote\" late in a long string", #""emoji 🙂 then \"quote\" late in a long string""#),
    ])
    func stringsWrittenIntoBytesAreJSONStringify(text: String, expected: String) {
        var out: [UInt8] = []
        JSON.serializeString(text, into: &out)
        #expect(String(decoding: out, as: UTF8.self) == expected)
    }

    /// Values written into bytes, as `JSON.stringify` writes them.
    @Test(arguments: [
        (JSON.null, "null"), (true, "true"), (false, "false"), (0, "0"), (-42, "-42"),
        (9_007_199_254_740_993, "9007199254740993"), (43.98, "43.98"), (1e21, "1e+21"), (5e-7, "5e-7"), (-0.0, "0"),
        (.double(.nan), "null"), (.double(.infinity), "null"),
        (["a", 1, [], ["b\"c"]], #"["a",1,[],["b\"c"]]"#), ([:], "{}"), (["key \"quoted\"": "v\n"], #"{"key \"quoted\"":"v\n"}"#),
        (["price": 49.5, "content_id": "p-1", "nested": ["x": [1, 2]]], #"{"price":49.5,"content_id":"p-1","nested":{"x":[1,2]}}"#),
        ([["k": "v"], .null], #"[{"k":"v"},null]"#),
    ] as [(JSON, String)])
    func valuesWrittenIntoBytesAreJSONStringify(value: JSON, expected: String) {
        var out = Array("[".utf8)
        value.serialize(into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "[" + expected)
        #expect(value.serialized() == expected)
    }

    @Test(arguments: [
        [0x22, 0xC3, 0x28, 0x22],  // truncated sequence
        [0x22, 0xC0, 0xAF, 0x22],  // overlong "/"
        [0x22, 0xE0, 0x80, 0xAF, 0x22],  // overlong, three bytes
        [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-16 surrogate
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
        [0x22, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0xFF, 0x22],  // after a clean word
    ] as [[UInt8]])
    func rejectsInvalidUTF8(bytes: [UInt8]) {
        #expect(throws: JSONParseError.self) { try JSON.parse(bytes: bytes) }
    }

    /// A stray non-ASCII byte is caught wherever it falls in the word that ends the string.
    @Test(arguments: 0..<16)
    func rejectsInvalidUTF8AtAnyOffset(offset: Int) throws {
        let text: [UInt8] = Array(#"{"k":""#.utf8) + Array(repeating: 0x61, count: offset) + [0xFF, 0x22, 0x7D]
            + Array(repeating: 0x20, count: 16)
        #expect(throws: JSONParseError.self) { try JSON.parse(bytes: text) }
        let valid: [UInt8] = text.map { $0 == 0xFF ? 0x62 : $0 }
        #expect(try JSON.parse(bytes: valid)["k"]?.stringValue?.utf8.count == offset + 1)
    }

    @Test(arguments: ["é", "€uro", "😀 emoji", "mixed ascii then ü at the end"])
    func acceptsValidUTF8(text: String) throws {
        #expect(try JSON.parse(bytes: Array("\"\(text)\"".utf8)) == .string(text))
    }

    /// The one-step decimal conversion agrees with the full one on every number it takes.
    @Test func decimalsConvertExactly() throws {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return seed >> 11
        }
        var texts = ["0.1", "0.2", "43.98", "-0.5", "-0.0", "0.000001", "123456789012345.6", "9007199254740.993",
                     "1.7976931348623157", "0.30000000000000004", "100.0", "5e-324"]
        for _ in 0..<2_000 {
            let digits = String(next() % 1_000_000_000_000_000)
            let point = Int(next() % UInt64(digits.count + 1))
            let text = digits.prefix(point) + "." + digits.dropFirst(point) + "0"
            texts.append((text.first == "." ? "0" : "") + text)
        }
        for text in texts {
            let parsed = try JSON.parse(text)
            #expect(parsed.doubleValue?.bitPattern == Double(text)?.bitPattern, "\(text)")
        }
    }

    @Test func nestedContainersKeepTheirOwnMembers() throws {
        let text = #"{"a":{"x":1,"x":2},"b":[1,{"y":[2,[],{}],"z":{}},4],"c":[],"a":5,"d":{"e":[{"f":null}]}}"#
        #expect(try JSON.parse(text).serialized()
            == #"{"a":5,"b":[1,{"y":[2,[],{}],"z":{}},4],"c":[],"d":{"e":[{"f":null}]}}"#)
    }

    /// Duplicate keys are found whether a key is a known Segment name, a short unknown one,
    /// a long one, a non-ASCII one or written with escapes.
    @Test func duplicateKeysOfEveryKind() throws {
        let text = #"{"name":1,"nam":2,"\u006eame":3,"namex":4,"a_key_longer_than_sixteen":5,"a_key_longer_than_sixteen":6,"#
            + #""ünï":7,"ünï":8,"userId":9,"userid":10,"nam":11,"abcdefghijklmnop":12,"abcdefghijklmnoq":13}"#
        let parsed = try JSON.parse(text)
        #expect(parsed.serialized() == #"{"name":3,"nam":11,"namex":4,"a_key_longer_than_sixteen":6,"ünï":8,"#
            + #""userId":9,"userid":10,"abcdefghijklmnop":12,"abcdefghijklmnoq":13}"#)
        #expect(parsed["userId"] == 9 && parsed["properties"] == nil)
    }

    @Test(arguments: [0, 7, -7, 10, 99, -100, Int.max, Int.min, 1_234_567_890])
    func integersSerializeAsDigits(value: Int) {
        #expect(JSON.int(value).serialized() == String(value))
    }
}

@Suite struct JSONObjectTests {
    @Test func keysAndValuesAreViewsOfTheMembers() throws {
        let object = try #require(try JSON.parse(#"{"b":1,"a":[true],"ü":"x","c":{}}"#).objectValue)
        #expect(Array(object.keys) == ["b", "a", "ü", "c"])
        #expect(Array(object.values) == [1, [true], "x", [:]])
        #expect(object.members.map(\.key) == Array(object.keys))
        #expect(object.keys[2] == "ü" && object.values[2] == "x" && object.count == 4)
        #expect(object.map(\.key) == Array(object.keys))
    }

    /// Keys that share a length, or a character count but not a byte count, are told apart.
    @Test func lookupComparesWholeKeys() {
        var object = JSONObject()
        object["ab"] = 1
        object["ac"] = 2
        object["é"] = 3
        object["e"] = 4
        #expect(object["ac"] == 2 && object["ab"] == 1 && object["é"] == 3 && object["e"] == 4)
        #expect(object["ad"] == nil && object["è"] == nil && object.index(forKey: "e") == 3)
    }

    @Test func settingReplacesInPlaceAndNilRemoves() {
        var object: JSONObject = ["a": 1, "b": 2, "c": 3]
        object["b"] = "two"
        object["a"] = nil
        object["d"] = 4
        object.appendUnchecked("e", 5)
        #expect(Array(object.keys) == ["b", "c", "d", "e"])
        #expect(JSON.object(object).serialized() == #"{"b":"two","c":3,"d":4,"e":5}"#)
        let copy = object
        object.removeAll()
        #expect(object.isEmpty && copy.count == 4)
    }

    @Test func uniqueMembersAreTakenAsGiven() {
        let object = JSONObject(uniqueMembers: [.init(key: "x", value: 1), .init(key: "y", value: nil)])
        #expect(JSON.object(object).serialized() == #"{"x":1,"y":null}"#)
        #expect(object == ["y": nil, "x": 1])
    }
}

@Suite struct PathLookupTests {
    /// Path lookups find a member whether its name is stored inline or out of line, and
    /// tell apart names that share a length.
    @Test func findsKeysHoweverStored() {
        var outOfLine = String(repeating: "k", count: 40)
        outOfLine.removeLast(38)
        var object = JSONObject()
        object.appendUnchecked("kj", 1)
        object.appendUnchecked(outOfLine, 2)
        object.appendUnchecked("a key longer than fifteen bytes", 3)
        object.appendUnchecked("ü", 4)
        let payload = JSON.object(object)
        let expected: [(String, JSON?)] = [("kj", 1), ("kk", 2), ("a key longer than fifteen bytes", 3), ("ü", 4), ("kl", nil), ("u", nil)]
        for (key, value) in expected {
            #expect(payload[key] == value, "\(key)")
        }
    }
}
