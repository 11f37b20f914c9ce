import ArgumentParser
import ConversionEngine
import Foundation
import JSONKit
import MappingKit

/// `tiktok-offline map`: applies one mapping, bare or a mapping file's, to one event.
struct MapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "map",
        abstract: "Apply one mapping to one event and print the mapped value as JSON.",
        discussion: """
            The file holds one bare mapping object, in YAML or JSON (Segment's JSON mappings load \
            unchanged), or is a mapping file (name, trigger, action, mapping): then its mapping is \
            applied as `test` applies it, over the action's defaults when it says defaults: true, and \
            a note on stderr says when its trigger would not fire for the event. Prints nothing when \
            the mapping yields no value.
            """
    )

    @Option(help: "A YAML or JSON file holding one mapping object, or a mapping file.")
    var mapping: String

    @Option(help: "A JSON file holding the event (default: standard input).")
    var event: String?

    func run() throws {
        try reportingFailures {
            let source = try BareMapping.load(mapping)
            let compiled: Mapping
            var trigger: Trigger?
            if source.isMappingFile {
                let file: MappingFile
                do {
                    file = try MappingFile.load(path: mapping)
                    compiled = try ShippedDestinations.destination(for: file).effectiveMapping(for: file)
                } catch let failure as MappingFileError {
                    throw CommandError(failure.diagnostics.map(\.description).joined(separator: "\n"))
                } catch let failure as EngineError {
                    throw CommandError(failure.diagnostic?.description ?? "\(mapping): error: \(failure.message)")
                }
                trigger = file.trigger
            } else {
                do {
                    compiled = try Mapping(source.json)
                } catch let failure as MappingValidationError {
                    throw CommandError(source.describe(failure))
                }
            }
            let payload = try Input.event(event) ?? .object(JSONObject())
            if let trigger, !trigger.matches(payload) {
                Terminal.error("note: the trigger of \(mapping) does not fire for this event; the mapping is applied anyway")
            }
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

    /// True for a mapping file (`name`, `trigger`, `action` and `mapping` at the top), which
    /// is not itself a mapping: its `mapping` is.
    var isMappingFile: Bool {
        guard case .object(let top) = json else { return false }
        return ["trigger", "action", "mapping"].allSatisfy { top[$0] != nil }
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
