import MappingKit
import Testing

@testable import ConversionEngine

@Suite struct ActionSchemaLoadingTests {
    @Test func readsFieldsWithDirectiveTagsInDefaults() throws {
        let schema = try ActionSchema(yaml: """
            actions: [track, trackLegacy]
            fields:
              email:
                type: string
                multiple: true
                pii: email
                default: !path $.properties.email
              kind:
                type: string
                choices: [a, b]
              items:
                type: object
                multiple: true
                properties:
                  price: { type: number }
            """, file: "schema.yaml")
        #expect(schema.names == ["track", "trackLegacy"])
        #expect(schema.keys(pii: "email") == ["email"])
        #expect(schema.field("email")?.defaultMapping == ["@path": "$.properties.email"])
        #expect(schema.field("kind")?.choices == ["a", "b"])
        #expect(schema.field("items")?.properties.map(\.key) == ["price"])
        #expect(Array(schema.defaultMapping.keys) == ["email"])
    }

    @Test(arguments: [
        ("actions: [a]\nfields:\n  x: {type: text}", "fields.x.type"),
        ("actions: [a]\nfields:\n  x: {type: string, mutliple: true}", "unknown key 'mutliple'"),
        ("actions: []\nfields: {}", "'actions'"),
        ("actions: [a]\nfields:\n  x: {type: string, properties: {}}", "only an object field"),
        ("actions: [a]\nfields: {}\nextra: 1", "unknown key 'extra'"),
    ])
    func refusesMalformedSchemas(text: String, message: String) {
        #expect {
            try ActionSchema(yaml: text, file: "schema.yaml")
        } throws: { error in
            "\(error)".contains(message) && "\(error)".contains("schema.yaml")
        }
    }

    @Test func pipelineFromYAML() throws {
        #expect(try PipelineDefinition(yaml: "pipeline: [consent, acme.geo, send]").stages == ["consent", "acme.geo", "send"])
        #expect(throws: PipelineError.self) { try PipelineDefinition(yaml: "pipeline: consent") }
    }
}
