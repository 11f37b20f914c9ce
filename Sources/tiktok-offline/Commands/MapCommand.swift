import ArgumentParser
import Foundation
import MappingKit

/// `tiktok-offline map`: applies one bare mapping object to one event.
struct MapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Apply one mapping to one event and print the mapped value as JSON.",
        discussion: """
            The mapping file holds one bare mapping object, in YAML or JSON (Segment's JSON \
            mappings load unchanged). Prints nothing when the mapping yields no value.
            """
    )

    @Option(help: "A YAML or JSON file holding one mapping object.")
    var mapping: String

    @Option(help: "A JSON file holding the event (default: standard input).")
    var event: String?

    func run() throws {
        try reportingFailures {
            let source = try BareMapping.load(mapping)
            let compiled: Mapping
            do {
                compiled = try Mapping(source.json)
            } catch let failure as MappingValidationError {
                throw CommandError(source.describe(failure))
            }
            let payload = try Input.event(event) ?? .object(JSONObject())
            do {
                if let result = try compiled.evaluate(payload) {
                    print(result.serialized())
                }
            } catch {
                throw CommandError("error: \(error)")
            }
        }
    }
}

/// A bare mapping read from a YAML or JSON file, with where its parts were written when known.
struct BareMapping {
    var json: JSON
    var file: String
    var sourceMap: SourceMap?

    static func load(_ path: String) throws -> BareMapping {
        let text: String
        do {
            text = try FileText.read(path, maxBytes: Input.maxDocumentBytes)
        } catch {
            throw CommandError("error: \(error)")
        }
        let looksLikeJSON = text.drop { $0.isWhitespace }.first.map { $0 == "{" || $0 == "[" } ?? false
        if looksLikeJSON, let json = try? JSON.parse(text) {
            // JSON keeps exact numbers; YAML, when it reads the same text, adds positions.
            let map = try? YAML.parse(text, file: path)?.toJSONWithSourceMap().sourceMap
            return BareMapping(json: json, file: path, sourceMap: map)
        }
        do {
            guard let document = try YAML.parse(text, file: path) else {
                throw CommandError("\(path): error: the file is empty; expected one mapping object")
            }
            let (json, map) = try document.toJSONWithSourceMap()
            return BareMapping(json: json, file: path, sourceMap: map)
        } catch let error as YAMLError {
            throw CommandError(Diagnostic(.error, error.message, file: path, at: error.mark).description)
        }
    }

    /// One line naming the first problem (and how many more there are), located in the file.
    func describe(_ failure: MappingValidationError) -> String {
        guard let first = failure.issues.first else { return "\(file): error: invalid mapping" }
        var message = first.message
        if let suggestion = first.suggestion { message += " Did you mean \(suggestion)?" }
        if failure.issues.count > 1 { message += " (and \(failure.issues.count - 1) more problem\(failure.issues.count > 2 ? "s" : ""))" }
        return Diagnostic(.error, message, file: file, at: sourceMap?.valueMark(at: first.path)).description
    }
}
