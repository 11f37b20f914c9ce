import Foundation
import MappingKit

/// Where mapping files come from.
public enum MappingSource: Sendable {
    /// Every `*.yaml`, `*.yml` and `*.json` file directly inside a folder, by file name.
    case directory(String)
    /// Exactly these files.
    case files([String])
    /// Files compiled into the binary: (file name, contents).
    case embedded([(name: String, contents: String)])

    /// Reads and parses every mapping file. Errors name each file (and line:column where known).
    public func load() throws(EngineError) -> [MappingFile] {
        switch self {
        case .directory(let path):
            let files = try Self.mappingFiles(inFolder: path)
            if files.isEmpty { throw EngineError("\(path): no mapping files (*.yaml, *.yml, *.json) in this folder") }
            return try MappingSource.files(files).load()
        case .files(let paths):
            var loaded: [MappingFile] = []
            var problems: [String] = []
            for path in paths {
                do {
                    loaded.append(try MappingFile.load(path: path))
                } catch {
                    problems.append(Self.describe(error, file: path))
                }
            }
            if !problems.isEmpty { throw EngineError(problems.joined(separator: "\n")) }
            return loaded
        case .embedded(let entries):
            var loaded: [MappingFile] = []
            var problems: [String] = []
            for entry in entries {
                do {
                    loaded.append(try MappingFile.parse(entry.contents, file: entry.name))
                } catch {
                    problems.append(Self.describe(error, file: entry.name))
                }
            }
            if !problems.isEmpty { throw EngineError(problems.joined(separator: "\n")) }
            return loaded
        }
    }

    /// The mapping files directly inside `folder`, by name: what `.directory(folder)` loads
    /// (subfolders such as `actions/` are not mappings). The one place a folder is scanned.
    public static func mappingFiles(inFolder folder: String) throws(EngineError) -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
        } catch {
            throw EngineError("\(folder): cannot read the mappings folder (\(error.localizedDescription))")
        }
        return names.filter(isMappingFileName).sorted().map { (folder as NSString).appendingPathComponent($0) }
    }

    /// True for the names a mappings folder is searched for: `*.yaml`, `*.yml`, `*.json`, not hidden.
    public static func isMappingFileName(_ name: String) -> Bool {
        !name.hasPrefix(".") && (name.hasSuffix(".yaml") || name.hasSuffix(".yml") || name.hasSuffix(".json"))
    }

    private static func describe(_ error: any Error, file: String) -> String {
        let text = "\(error)"
        return text.contains(file) ? text : "\(file): \(text)"
    }
}

/// A destination's folder of `mappings/` compiled into its module by the `EmbedPresets` build
/// plugin: its presets, and its action schemas from `actions/`.
public struct EmbeddedMappingFolder: Sendable {
    /// Where the files came from (`mappings/tiktok-offline`), for the locations errors name.
    public let folder: String
    /// Each preset file: its file name and YAML text.
    public let presets: [(name: String, contents: String)]
    /// Each action schema file: its file name and YAML text.
    public let actionFiles: [(name: String, contents: String)]

    public init(folder: String, presets: [(name: String, contents: String)], actionFiles: [(name: String, contents: String)]) {
        self.folder = folder
        self.presets = presets
        self.actionFiles = actionFiles
    }

    /// The presets as a mapping source for ``Engine``.
    public var source: MappingSource { .embedded(presets) }

    /// The actions the schema files declare, with their fields.
    public func actions() throws(ActionSchemaError) -> ActionCatalog {
        var catalog = ActionCatalog()
        for file in actionFiles {
            catalog.add(try ActionSchema(yaml: file.contents, file: "\(folder)/actions/\(file.name)"))
        }
        return catalog
    }
}
