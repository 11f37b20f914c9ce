import Testing
@testable import MappingKit

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

@Suite struct FixtureTests {
    @Test func vectorFilesLoad() {
        #expect(Fixtures.vectors("mapping.json").count == 189)
        #expect(Fixtures.vectors("fql.json").count == 166)
    }
}
