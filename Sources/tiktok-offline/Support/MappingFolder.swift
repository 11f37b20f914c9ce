import Foundation
import MappingKit

/// Finds mapping files in the paths given on the command line.
enum MappingFolder {
    static let extensions: Set<String> = ["yaml", "yml", "json"]

    /// The files named, plus the mapping files inside the folders named (recursively, sorted).
    static func files(in paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw Failure("\(path): no such file or folder")
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            let found = FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []
            files += found.filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }
                .sorted()
                .map { (path as NSString).appendingPathComponent($0) }
        }
        return files
    }
}
