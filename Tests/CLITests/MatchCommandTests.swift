import Foundation
import MappingKit
import Testing

@Suite(.timeLimit(.minutes(2))) struct MatchCommandTests {
    @Test(arguments: [
        (#"event = "Order Completed""#, #"{"event":"Order Completed"}"#, "true"),
        (#"event = "Order Completed""#, #"{"event":"Signed Up"}"#, "false"),
        (#"type = "track" and properties.value > 10"#, #"{"type":"track","properties":{"value":12}}"#, "true"),
        (#"event = "A""#, "", "false"),
        (#"event = "A""#, "[1,2]", "false"),
    ])
    func printsTrueOrFalse(trigger: String, event: String, expected: String) async throws {
        let result = try await Tool.run(["match", "--trigger", trigger], stdin: event)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == expected + "\n")
    }

    @Test func readsTheEventFromAFile() async throws {
        let folder = try TemporaryFolder()
        let event = try folder.write("e.json", #"{"type":"page"}"#)
        let result = try await Tool.run(["match", "--trigger", #"type = "page""#, "--event", event])
        #expect(result.stdout == "true\n")
    }

    @Test(arguments: [
        (#"evnt = "A""#, 1),
        (#"event = "A" and"#, 16),
        (#"event = "A"#, 9),
    ])
    func anInvalidTriggerNamesItsColumn(trigger: String, column: Int) async throws {
        let result = try await Tool.run(["match", "--trigger", trigger], stdin: "{}")
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("column \(column)"), "\(result.stderr)")
    }
}
