import Foundation

/// Reads small text files (mappings, settings) with a size bound, so a huge or endless file
/// (a device, a pipe) cannot exhaust memory.
public enum FileText {
    public struct ReadError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func read(_ path: String, maxBytes: Int) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                throw ReadError(description: isDirectory.boolValue ? "\(path) is a folder, not a file" : "cannot read \(path)")
            }
            throw ReadError(description: "\(path): no such file")
        }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: maxBytes + 1) ?? Data()
        if data.count > maxBytes {
            throw ReadError(description: "\(path) is larger than \(maxBytes) bytes")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ReadError(description: "\(path) is not UTF-8 text")
        }
        return text
    }
}
