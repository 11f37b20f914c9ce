import JSONKit
import MappingKit
import Testing

@testable import ConversionEngine

/// Segment's remove-empty-values and Ajv's `coerceTypes: "array"` (TIKTOK-DESTINATION.md §5).
@Suite struct SchemaPreparationTests {
    static let schema = ActionSchema(names: ["act"], fields: [
        FieldSpec(key: "event", type: .string, required: true),
        FieldSpec(key: "id", type: .string),
        FieldSpec(key: "emails", type: .string, multiple: true, pii: "email"),
        FieldSpec(key: "value", type: .number),
        FieldSpec(key: "flag", type: .boolean),
        FieldSpec(key: "kind", type: .string, choices: ["product", "product_group"]),
        FieldSpec(key: "items", type: .object, multiple: true, properties: [
            FieldSpec(key: "price", type: .number),
            FieldSpec(key: "sku", type: .string),
        ]),
    ])

    @Test(arguments: [
        // remove-empty-values
        (#"{"event":"E","id":""}"#, #"{"event":"E"}"#),
        (#"{"event":"E","id":null}"#, #"{"event":"E"}"#),
        (#"{"event":"E","emails":[null,"a@b.c",""]}"#, #"{"event":"E","emails":["a@b.c",""]}"#),
        (#"{"event":"E","items":[null,"",{"price":null,"sku":null}]}"#, #"{"event":"E","items":[{"price":0,"sku":""}]}"#),
        // coercion
        (#"{"event":"E","value":"19.99"}"#, #"{"event":"E","value":19.99}"#),
        (#"{"event":"E","value":" 7 "}"#, #"{"event":"E","value":7}"#),
        (#"{"event":"E","value":true}"#, #"{"event":"E","value":1}"#),
        (#"{"event":"E","value":["3"]}"#, #"{"event":"E","value":3}"#),
        (#"{"event":"E","id":987}"#, #"{"event":"E","id":"987"}"#),
        (#"{"event":"E","id":1.5}"#, #"{"event":"E","id":"1.5"}"#),
        (#"{"event":"E","id":false}"#, #"{"event":"E","id":"false"}"#),
        (#"{"event":"E","emails":"a@b.c"}"#, #"{"event":"E","emails":["a@b.c"]}"#),
        (#"{"event":"E","emails":12345}"#, #"{"event":"E","emails":["12345"]}"#),
        (#"{"event":"E","flag":"true"}"#, #"{"event":"E","flag":true}"#),
        (#"{"event":"E","flag":0}"#, #"{"event":"E","flag":false}"#),
        (#"{"event":"E","items":[{"price":"9.5","sku":42,"extra":1}]}"#, #"{"event":"E","items":[{"price":9.5,"sku":"42"}]}"#),
        // unknown keys dropped
        (#"{"event":"E","unknown":1,"kind":"product"}"#, #"{"event":"E","kind":"product"}"#),
    ])
    func prepares(input: String, expected: String) throws {
        #expect(JSON.object(try Self.schema.prepare(try JSON.parse(input))) == (try JSON.parse(expected)))
    }

    @Test(arguments: [
        (#"{"id":"x"}"#, "event is required"),
        (#"{"event":"E","value":"N/A"}"#, "value must be a number but it was a string"),
        (#"{"event":"E","items":[{"price":""}]}"#, "items[0].price must be a number but it was a string"),
        (#"{"event":"E","kind":"bundle"}"#, "kind must be one of: product, product_group"),
        (#"{"event":"E","flag":"yes"}"#, "flag must be a boolean but it was a string"),
        (#"{"event":"E","emails":{"a":1}}"#, "emails must be an array but it was an object"),
        (#"{"event":"E","items":{"price":1}}"#, "items must be an array but it was an object"),  // Ajv wraps scalars only
        (#"{"event":"E","items":["sku"]}"#, "items[0] must be an object but it was a string"),
    ])
    func rejects(input: String, message: String) throws {
        #expect(throws: SchemaViolation("schema: " + message)) { try Self.schema.prepare(try JSON.parse(input)) }
    }

    @Test(arguments: [
        ("42", 42.0), ("-1.5e2", -150), (".5", 0.5), ("5.", 5), ("0x10", 16), ("0b101", 5), ("  ", 0), ("Infinity", .infinity),
    ] as [(String, Double)])
    func numericStrings(text: String, value: Double) {
        #expect(JavaScript.number(parsing: text) == value)
    }

    @Test(arguments: ["N/A", "1,5", "0x", "1e", "--1", "-0x10", "nan", "inf", "12abc"])
    func nonNumericStrings(text: String) {
        #expect(JavaScript.number(parsing: text).isNaN)
    }

    @Test func defaultMappingFollowsFieldOrder() {
        let schema = ActionSchema(names: ["a"], fields: [
            FieldSpec(key: "b", type: .string, defaultMapping: ["@path": "$.b"]),
            FieldSpec(key: "a", type: .string),
            FieldSpec(key: "c", type: .string, defaultMapping: "literal"),
        ])
        #expect(Array(schema.defaultMapping.keys) == ["b", "c"])
    }
}
