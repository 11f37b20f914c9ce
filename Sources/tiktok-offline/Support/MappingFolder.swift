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

    /// The files named, plus the mapping files inside the folders named and their subfolders
    /// (to `maxDepth` levels; hidden entries and `actions/`, which holds action schemas, are
    /// skipped). With no paths, the shipped presets.
    static func entries(in paths: [String]) throws -> [Entry] {
        guard !paths.isEmpty else {
            return ShippedPresets.files.map { Entry(path: "mappings/tiktok-offline/\($0.name)", embeddedText: $0.contents) }
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
            try collect(inFolder: path, depth: 0, into: &entries)
        }
        return entries
    }

    /// How deep `lint` descends below a folder it is given.
    static let maxDepth = 16

    private static func collect(inFolder folder: String, depth: Int, into entries: inout [Entry]) throws {
        do {
            entries += try ConversionEngine.MappingSource.mappingFiles(inFolder: folder).map { Entry(path: $0) }
        } catch {
            throw CommandError(error.description)
        }
        guard depth < maxDepth else { return }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names.sorted() where !name.hasPrefix(".") && name != "actions" {
            let path = (folder as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            // Symbolic links to folders are not followed: they could loop.
            let isLink = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
            if !isLink, FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                try collect(inFolder: path, depth: depth + 1, into: &entries)
            }
        }
    }
}
