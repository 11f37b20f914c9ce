import ConversionEngine
import Foundation
import MappingKit
import TikTokOffline

/// The mapping files named on the command line, or the presets compiled into the binary.
enum MappingFolder {
    /// One mapping file to check: where it is, and its text when it comes from the binary.
    struct Entry {
        var path: String
        var embeddedText: String?

        func load() throws -> MappingFile {
            if let embeddedText { return try MappingFile.parse(embeddedText, file: path) }
            return try MappingFile.load(path: path)
        }
    }

    /// The files named, plus the mapping files directly inside the folders named (the same
    /// files `--mappings DIR` runs; subfolders such as `actions/` are not mappings). With no
    /// paths, the shipped presets.
    static func entries(in paths: [String]) throws -> [Entry] {
        guard !paths.isEmpty else {
            return ShippedPresets.files.map { Entry(path: "mappings/\($0.name)", embeddedText: $0.contents) }
        }
        var entries: [Entry] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CommandError("\(path): no such file or folder")
            }
            guard isDirectory.boolValue else {
                entries.append(Entry(path: path))
                continue
            }
            do {
                entries += try ConversionEngine.MappingSource.mappingFiles(inFolder: path).map { Entry(path: $0) }
            } catch {
                throw CommandError(error.description)
            }
        }
        return entries
    }
}
