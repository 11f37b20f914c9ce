import JSONKit
import Testing

/// The writer places commas and colons itself: what a layout writes parses back to the value
/// it describes, whatever members are left out.
@Suite struct JSONTextWriterTests {
    @Test(arguments: [
        (true, true, #"{"event":"Buy \"now\"","user":{"email":[],"ip":"1.2.3.4"},"page":{},"n":-7,"flag":true}"#),
        (false, true, #"{"event":"Buy \"now\"","user":{"ip":"1.2.3.4"},"page":{},"n":-7,"flag":true}"#),
        (true, false, #"{"event":"Buy \"now\"","user":{"email":[]},"page":{},"n":-7,"flag":true}"#),
        (false, false, #"{"event":"Buy \"now\"","user":{},"page":{},"n":-7,"flag":true}"#),
    ])
    func placesThePunctuation(withEmail: Bool, withIP: Bool, expected: String) throws {
        var out = Array("prefix:".utf8)
        JSONTextWriter.append(to: &out) { json in
            json.openObject()
            json.member("event", string: #"Buy "now""#)
            json.openObject("user")
            if withEmail { json.member("email", raw: "[]") }
            if withIP { json.member("ip", .string("1.2.3.4")) }
            json.closeObject()
            json.openObject("page")
            json.closeObject()
            json.member("n", int: -7)
            json.member("flag", .bool(true))
            json.closeObject()
        }
        #expect(String(decoding: out, as: UTF8.self) == "prefix:" + expected, "appends to what is there")
        #expect(try JSON.parse(expected).objectValue != nil)
    }

    /// A document's string is copied as written when it had no escapes, and escaped otherwise:
    /// the same bytes as writing its text (`lastValueLength` measures them).
    @Test(arguments: [
        #""plain""#, #""""#, #""café ☕ 😀""#, #""a\"b""#, #""tab\there""#, #""slash \/ kept""#,
        #""\u00e9\u0001""#, #""\ud83d\ude00""#, #""del \u007f and \u2028""#,
    ])
    func writesADocumentsStringAsItsText(literal: String) throws {
        let document = try JSONDocument(parsing: "{\"a\":\(literal),\"b\":[\(literal)]}")
        let a = try #require(document.root.flatMap { document.member("a", of: $0) })
        let text = try #require(document.string(a))
        var out: [UInt8] = []
        var length = 0
        JSONTextWriter.append(to: &out) { json in
            json.openObject()
            json.member("a", string: a, of: document)
            length = json.lastValueLength
            json.closeObject()
        }
        var expected: [UInt8] = []
        JSON.serializeString(text, into: &expected)
        #expect(String(decoding: out, as: UTF8.self) == #"{"a":"# + String(decoding: expected, as: UTF8.self) + "}")
        #expect(length == expected.count)
        let copied = document.withPlainJSONText(a) { Array($0) }
        #expect((copied != nil) == !literal.contains("\\"), "copied only when written without escapes")
        if let copied { #expect(copied == Array(literal.utf8)) }
    }
}
