import ArgumentParser
import JSONKit
import MappingKit

/// `tiktok-offline match`: tells whether a trigger fires for an event.
struct MatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Print true or false: whether the trigger fires for the event.",
        discussion: "An empty input, or an event that is not a JSON object, never matches."
    )

    @Option(help: "The trigger, e.g. 'event = \"Order Completed\"'.")
    var trigger: String

    @Option(help: "A JSON file holding the event (default: standard input).")
    var event: String?

    func run() throws {
        try reportingFailures {
            let compiled: Trigger
            do {
                compiled = try Trigger(trigger)
            } catch let error as TriggerSyntaxError {
                var message = "error: invalid trigger at column \(error.column): \(error.message)"
                if let expected = error.expected { message += " (expected \(expected))" }
                let caret = String(repeating: " ", count: max(0, error.column - 1)) + "^"
                throw CommandError("\(message)\n  \(trigger)\n  \(caret)")
            }
            let payload = try Input.event(event)
            print(payload.map(compiled.matches) ?? false)
        }
    }
}
