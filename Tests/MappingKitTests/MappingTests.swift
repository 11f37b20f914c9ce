import JSONKit
@testable import MappingKit
import Testing

/// Behaviour the reference vectors do not pin down.
@Suite struct MappingTests {
    private func evaluate(_ mapping: JSON, _ payload: JSON = [:]) throws -> JSON? {
        try Mapping(mapping).evaluate(payload)
    }

    @Test func suggestsTheClosestDirective() throws {
        let error = try #require(throws: MappingValidationError.self) { try Mapping(["a": ["@pth": "$.x"]]) }
        #expect(error.issues == [MappingIssue(path: "/a", message: "/a has an invalid directive: @pth.", suggestion: "@path")])
        #expect(error.description.contains("Did you mean @path?"))
    }

    @Test func farOffNamesGetNoSuggestion() throws {
        let error = try #require(throws: MappingValidationError.self) { try Mapping(["@completelyWrong": 1]) }
        #expect(error.issues.first?.suggestion == nil)
    }

    @Test(arguments: [JSON.array(["cool"]), 123, "neat", nil])
    func rejectsNonObjectMappings(source: JSON) throws {
        let error = try #require(throws: MappingValidationError.self) { try Mapping(source) }
        #expect(error.issues.first?.path == "/")
        #expect(error.issues.first?.message.contains("should be an object but it is") == true)
    }

    @Test func rejectsLiquidEvenInsideRawArrays() throws {
        let error = try #require(throws: MappingValidationError.self) {
            try Mapping(["list": [["@liquid": "{{ a }}"]]])
        }
        #expect(error.issues.first?.message == "/list/0/@liquid is not supported; use @template, @if or @case.")
    }

    @Test func rawArraysAreCheckedOnlyAtRunTime() throws {
        let mapping = try Mapping(["list": [["@oops": 1]]])
        #expect(throws: MappingEvaluationError(message: "@oops is not a valid directive, got undefined")) {
            try mapping.evaluate([:])
        }
    }

    @Test func rootDirectiveErrors() throws {
        let twoKeys = try #require(throws: MappingValidationError.self) {
            try Mapping(["__segment_internal_directive": ["@transform": [:], "@path": "x"]])
        }
        #expect(twoKeys.issues.first?.message == "The root mapping must only have a single directive object")
        let notObject = try #require(throws: MappingValidationError.self) {
            try Mapping(["__segment_internal_directive": ["@transform": "x"]])
        }
        #expect(notObject.issues.first?.message == "The root directive must be an object")
    }

    @Test func reportsSiblingProblemsTogether() throws {
        let error = try #require(throws: MappingValidationError.self) {
            try Mapping(["a": ["@if": ["then": ["@oops": [:]]]], "b": ["@replace": ["value": "x"]]])
        }
        #expect(error.issues.map(\.message) == [
            "/a/@if/then has an invalid directive: @oops.",
            "/b/@replace should have field \"pattern\" but it doesn't.",
        ])
    }

    @Test func mergeItemErrorsUseTheRootPath() throws {
        let error = try #require(throws: MappingValidationError.self) {
            try Mapping(["x": ["@merge": ["direction": "right", "objects": ["nope"]]]])
        }
        #expect(error.issues.first?.message == "/ should be a object or a mapping directive but it is a string.")
    }

    @Test func evaluatesTheSameCompiledMappingOnManyPayloads() throws {
        let mapping = try Mapping([
            "id": ["@path": "$.id"],
            "label": ["@template": "#{{id}} {{name}}"],
            "kind": ["@if": ["exists": ["@path": "$.name"], "then": "named", "else": "anonymous"]],
        ])
        for id in 0..<200 {
            let payload: JSON = id.isMultiple(of: 2) ? ["id": .int(id), "name": .string("n\(id)")] : ["id": .int(id)]
            let expected: JSON = id.isMultiple(of: 2)
                ? ["id": .int(id), "label": .string("#\(id) n\(id)"), "kind": "named"]
                : ["id": .int(id), "label": .string("#\(id) "), "kind": "anonymous"]
            #expect(try mapping.evaluate(payload) == expected)
        }
    }

    @Test func deepNestingResolvesEveryLevel() throws {
        var mapping: JSON = ["@path": "$.v"]
        var expected: JSON = 7
        for level in 0..<100 {
            mapping = .object(JSONObject(dictionaryLiteral: ("l\(level)", mapping)))
            expected = .object(JSONObject(dictionaryLiteral: ("l\(level)", expected)))
        }
        #expect(try evaluate(mapping, ["v": 7]) == expected)
    }

    @Test func undefinedMembersOverwriteInMerge() throws {
        let mapping: JSON = ["@merge": ["direction": "right", "objects": [
            ["a": 1, "b": 2], ["a": ["@path": "$.missing"]], ["c": 3],
        ]]]
        let output = try #require(try evaluate(mapping))
        #expect(output == ["b": 2, "c": 3])
        #expect(output.serialized() == #"{"b":2,"c":3}"#)
    }

    @Test func mergeCopiesStringsAndArraysByIndex() throws {
        let mapping: JSON = ["@merge": ["direction": "right", "objects": [["@path": "$.s"], ["@path": "$.list"]]]]
        #expect(try evaluate(mapping, ["s": "hey", "list": [true]]) == ["0": true, "1": "e", "2": "y"])
    }

    @Test func replaceUnderstandsJavaScriptTokens() throws {
        func replace(_ replacement: String, in text: String, global: Bool = true) throws -> JSON? {
            try evaluate(["@replace": ["pattern": "b", "replacement": .string(replacement),
                                       "global": .bool(global), "value": .string(text)]])
        }
        #expect(try replace("[$&]", in: "abc") == "a[b]c")
        #expect(try replace("$`", in: "abc") == "aac")
        #expect(try replace("$'", in: "abc") == "acc")
        #expect(try replace("$$", in: "abc") == "a$c")
        #expect(try replace("$1", in: "abc") == "a$1c")
        #expect(try replace("-", in: "bbb", global: false) == "-bb")
    }

    @Test func replaceIgnoresCaseWhenAsked() throws {
        let mapping: JSON = ["@replace": ["pattern": "ab", "replacement": "x", "ignorecase": true, "value": "AbaBab"]]
        #expect(try evaluate(mapping) == "xxx")
    }

    @Test func caseUsesFullUnicodeMappings() throws {
        #expect(try evaluate(["@case": ["operator": "upper", "value": "straße"]]) == "STRASSE")
        #expect(try evaluate(["@case": ["operator": "lower", "value": "ÀÉÎ"]]) == "àéî")
    }

    @Test func tripleBracePassOutputIsScannedAgain() throws {
        #expect(try evaluate(["@template": "{{{a}}}"], ["a": "{{b}}", "b": "deep"]) == "deep")
        #expect(try evaluate(["@template": "{{ }}"], ["a": 1]) == "[object Object]")
        #expect(try evaluate(["@template": "{{}}"]) == "{{}}")
        #expect(try evaluate(["@template": "{{n}}"], ["n": 1e21]) == "1e+21")
    }

    @Test func blankUsesLooseEqualityWithTheEmptyString() throws {
        func isBlank(_ value: JSON) throws -> Bool {
            try evaluate(["@if": ["blank": ["@path": "$.v"], "then": "filled", "else": "blank"]], ["v": value]) == "blank"
        }
        #expect(try isBlank(""))
        #expect(try isBlank(0))
        #expect(try isBlank(false))
        #expect(try isBlank([]))
        #expect(try isBlank([""]))
        #expect(try isBlank(nil))
        #expect(try !isBlank(" "))
        #expect(try !isBlank([1]))
        #expect(try !isBlank([:]))
        #expect(try !isBlank(true))
    }

    @Test func transformRequiresAnObjectPayload() throws {
        let mapping = try Mapping(["list": ["@arrayPath": ["$.items", [
            "x": ["@transform": ["apply": ["y": ["@path": "$.v"]], "mapping": ["z": ["@path": "$.y"]]]],
        ]]]])
        #expect(try mapping.evaluate(["items": [["v": 1]]]) == ["list": [["x": ["z": 1]]]])
        #expect(throws: MappingEvaluationError(message: "data must be an object, got number")) {
            try mapping.evaluate(["items": [5]])
        }
    }

    @Test func replaceBoundsQuadraticGrowth() throws {
        let mapping = try Mapping(["@replace": ["pattern": "a", "replacement": "$'", "value": ["@path": "$.s"]]])
        #expect(try mapping.evaluate(["s": "aab"]) == "abbb")
        let hostile = JSON.string(String(repeating: "a", count: 5_000))
        #expect(throws: MappingEvaluationError.self) { try mapping.evaluate(["s": hostile]) }
    }

    @Test func flattenAndMergeStayLinearOnWideObjects() throws {
        var wide = JSONObject(minimumCapacity: 50_000)
        for i in 0..<50_000 { wide.appendUnchecked("k\(i)", .object(["v": .int(i)])) }
        let flattened = try evaluate(["@flatten": ["value": ["@path": "$.w"], "separator": "."]], ["w": .object(wide)])
        #expect(flattened?.objectValue?.count == 50_000)
        #expect(flattened?["k49999.v"] == 49_999)
        let merged = try evaluate(["@merge": ["direction": "left", "objects": [["@path": "$.w"], ["@path": "$.w"]]]],
                                  ["w": .object(wide)])
        #expect(merged?.objectValue?.count == 50_000)
    }

    @Test func evaluationErrorsNeverQuotePayloadValues() throws {
        let mapping = try Mapping(["@path": ["@path": "$.p"]])
        do {
            _ = try mapping.evaluate(["p": ["secret@example.com"]])
            Issue.record("expected an error")
        } catch let error as MappingEvaluationError {
            #expect(error.message == "@path: expected string, got array")
        }
    }
}

extension MappingEvaluationError: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.message == rhs.message }
}
