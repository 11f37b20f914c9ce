import MappingKit
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
}
