import JSONKit
import MappingKit

/// The ordered stage names a pipeline runs, as written in YAML:
///
/// ```yaml
/// pipeline: [consent, normalize, acme.geo-enrich, hash, validate, send]
/// ```
///
/// Edit it in code with the insertion helpers, then resolve it against a ``StageRegistry``.
public struct PipelineDefinition: Sendable, Equatable {
    public var stages: [String]

    /// `consent, normalize, hash, validate, send`.
    public static let `default` = PipelineDefinition(stages: ["consent", "normalize", "hash", "validate", "send"])

    public init(stages: [String]) {
        self.stages = stages
    }

    /// Reads a `pipeline:` list (or a bare list) of stage names.
    public init(json: JSON) throws(PipelineError) {
        let list: JSON
        if case .object(let o) = json {
            guard let value = o["pipeline"] else { throw .malformed("expected a 'pipeline' list of stage names") }
            list = value
        } else {
            list = json
        }
        guard case .array(let items) = list, !items.isEmpty else {
            throw .malformed("'pipeline' must be a non-empty list of stage names")
        }
        var names: [String] = []
        for item in items {
            guard case .string(let name) = item, !name.isEmpty else {
                throw .malformed("every pipeline entry must be a stage name, got \(item.typeName)")
            }
            names.append(name)
        }
        self.stages = names
    }

    /// Reads a pipeline from YAML text (see the type's summary for the shape).
    public init(yaml text: String, file: String? = nil) throws(PipelineError) {
        let document: YAMLDocument?
        do {
            document = try YAML.parse(text, file: file, limits: .default)
        } catch {
            throw .malformed("\(error)")
        }
        guard let document else { throw .malformed("the pipeline file is empty") }
        let json: JSON
        do {
            json = try document.toJSON()
        } catch {
            throw .malformed("\(error)")
        }
        try self.init(json: json)
    }

    /// Puts `name` right before the stage `anchor`.
    public mutating func insert(_ name: String, before anchor: String) throws(PipelineError) {
        guard let i = stages.firstIndex(of: anchor) else { throw .unknownAnchor(anchor) }
        stages.insert(name, at: i)
    }

    /// Puts `name` right after the stage `anchor`.
    public mutating func insert(_ name: String, after anchor: String) throws(PipelineError) {
        guard let i = stages.firstIndex(of: anchor) else { throw .unknownAnchor(anchor) }
        stages.insert(name, at: i + 1)
    }
}

/// Why a pipeline could not be built.
public enum PipelineError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case unknownStage(String, known: [String])
    case repeatedStage(String)
    case unknownAnchor(String)

    public var description: String {
        switch self {
        case .malformed(let message): "pipeline: \(message)"
        case .unknownStage(let name, let known):
            "pipeline: no stage named '\(name)' is registered (known: \(known.joined(separator: ", ")))"
        case .repeatedStage(let name): "pipeline: stage '\(name)' appears more than once"
        case .unknownAnchor(let name): "pipeline: no stage '\(name)' to insert next to"
        }
    }
}
