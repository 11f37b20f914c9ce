import Testing

import JSONKit
@testable import MappingKit

/// `@split`, this project's own directive: a delimited cell into a list, or a list of objects.
@Suite struct SplitDirectiveTests {
    static func evaluate(_ split: JSON, _ payload: JSON) throws -> JSON? {
        try Mapping(["out": ["@split": split]]).evaluate(payload)?["out"]
    }

    static let items: JSON = ["value": ["@path": "$.items"], "separator": ";", "fields": ["content_id", "quantity", "price"], "field_separator": ":"]

    @Test(arguments: [
        ("SKU-1:2:9.50;SKU-2:1:3", #"[{"content_id":"SKU-1","quantity":"2","price":"9.50"},{"content_id":"SKU-2","quantity":"1","price":"3"}]"#),
        (" SKU-1 : 2 ; ;SKU-2:1:3; ", #"[{"content_id":"SKU-1","quantity":"2"},{"content_id":"SKU-2","quantity":"1","price":"3"}]"#),
        ("SKU-1::4:extra", #"[{"content_id":"SKU-1","price":"4"}]"#),
        ("SKU-1", #"[{"content_id":"SKU-1"}]"#),
    ])
    func cutsItemsIntoNamedFields(cell: String, expected: String) throws {
        let got = try Self.evaluate(Self.items, ["items": .string(cell)])
        #expect(got == (try JSON.parse(expected)), "\(cell)")
    }

    @Test(arguments: [
        (JSON.string("a|b||c"), "[\"a\",\"b\",\"c\"]"), (.string(""), nil), (.string(" | "), nil), (.int(42), "[\"42\"]"),
        (.array(["a|b"]), nil), (.null, nil),
    ] as [(JSON, String?)])
    func cutsPlainLists(value: JSON, expected: String?) throws {
        let got = try Self.evaluate(["value": ["@path": "$.v"], "separator": "|"], ["v": value])
        #expect(got == expected.map { try! JSON.parse($0) })
    }

    @Test func missingValueIsNoValue() throws {
        #expect(try Mapping(["out": ["@split": ["value": ["@path": "$.nope"], "separator": ","]]]).evaluate([:]) == [:])
    }

    @Test func tooManyPartsIsAnError() throws {
        let cell = Array(repeating: "x", count: 1_001).joined(separator: ",")
        #expect(throws: MappingEvaluationError.self) { try Self.evaluate(["value": ["@path": "$.v"], "separator": ","], ["v": .string(cell)]) }
    }

    @Test(arguments: [
        (["value": "x"] as JSON, "should have field \"separator\""),
        (["value": "x", "separator": ""], "length 1 or greater"),
        (["value": "x", "separator": ";", "fields": ["a"]], "field_separator"),
        (["value": "x", "separator": ";", "fields": [], "field_separator": ":"], "1 to 20 fields"),
        (["value": "x", "separator": ";", "fields": ["a", "a"], "field_separator": ":"], "twice"),
        ("a;b", "should be an object"),
    ] as [(JSON, String)])
    func badArgumentsAreNamedAtLoad(split: JSON, message: String) throws {
        #expect { try Mapping(["out": ["@split": split]]) } throws: { error in
            "\(error)".contains(message)
        }
    }

    @Test func writtenAsAYAMLTag() throws {
        let yaml = """
            contents: !split
              value: !path $.Items
              separator: ";"
              fields: [content_id, quantity]
              field_separator: ":"
            """
        let mapping = try Mapping(try #require(try YAML.parse(yaml)).toJSONWithSourceMap().0)
        #expect(try mapping.evaluate(["Items": "a:1;b:2"])?["contents"] == [["content_id": "a", "quantity": "1"], ["content_id": "b", "quantity": "2"]])
    }
}
