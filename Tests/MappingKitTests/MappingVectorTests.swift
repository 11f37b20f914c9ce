import JSONKit
@testable import MappingKit
import Testing

/// Every entry of the reference's mapping vectors (`Fixtures/mapping.json`).
@Suite struct MappingVectorTests {
    @Test(arguments: Fixtures.vectors("mapping.json", kind: "transform"))
    func transform(_ vector: Vector) throws {
        let source = try #require(vector["mapping"])
        let input = vector["input"] ?? .object(JSONObject())

        if vector.flag("optional") {
            // Non-object top-level mappings are a JavaScript artefact: we reject them when compiling.
            #expect(throws: MappingValidationError.self) { try Mapping(source) }
            return
        }
        if vector.flag("unverified") {
            // Liquid is not supported: the mapping is rejected with a message naming @liquid.
            do {
                _ = try Mapping(source)
                Issue.record("a mapping using @liquid compiled")
            } catch let error as MappingValidationError {
                #expect(error.issues.contains { $0.message.contains("@liquid") })
            }
            return
        }
        if vector.flag("error") {
            let message: String
            do {
                let mapping = try Mapping(source)
                if case .object = input {
                    // Read in place, the input fails the same way.
                    #expect(throws: MappingEvaluationError.self) { try mapping.evaluate(try JSONDocument(parsing: input.serialized())) }
                }
                _ = try mapping.evaluate(input)
                Issue.record("expected an error")
                return
            } catch let error as MappingValidationError {
                message = error.issues.map(\.message).joined(separator: "\n")
            } catch let error as MappingEvaluationError {
                message = error.message
            }
            if let expected = vector["error_message"]?.stringValue {
                #expect(message == expected)
            }
            return
        }

        let output = try Mapping(source).evaluate(input)
        if vector.flag("undefined_result") {
            #expect(output == nil)
        } else {
            #expect(output == vector["expected"])
        }
        // The same input read in place maps to the same output.
        let document = try JSONDocument(parsing: input.serialized())
        #expect(try Mapping(source).evaluate(document) == output)
    }

    @Test(arguments: Fixtures.vectors("mapping.json", kind: "validate"))
    func validate(_ vector: Vector) throws {
        let source = try #require(vector["mapping"])
        if vector.flag("valid") {
            #expect(throws: Never.self) { try Mapping(source) }
            return
        }
        do {
            _ = try Mapping(source)
            Issue.record("expected a validation error")
        } catch let error as MappingValidationError {
            let messages = error.issues.map(\.message)
            for case .string(let expected) in vector["expected_errors"]?.arrayValue ?? [] {
                #expect(messages.contains { $0.contains(expected) }, "missing \(expected) in \(messages)")
            }
        }
    }

    @Test(arguments: Fixtures.vectors("mapping.json", kind: "fieldValueKeys"))
    func fieldValueKeys(_ vector: Vector) throws {
        let paths = Mapping.referencedPaths(in: try #require(vector["mapping"]))
        let expected = (vector["expected"]?.arrayValue ?? []).compactMap(\.stringValue)
        if vector["match"]?.stringValue == "contains" {
            #expect(Set(expected).isSubset(of: Set(paths)), "\(paths)")
        } else {
            #expect(paths == expected)
        }
    }
}
