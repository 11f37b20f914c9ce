import ArgumentParser
import Foundation
import JSONKit
import MappingKit

/// Reading the tool's inputs, with bounds, and turning their problems into one clear line.
enum Input {
    /// The largest single event or mapping file the tool reads.
    static let maxDocumentBytes = 16 << 20

    /// Reads a whole file, or standard input when `path` is nil or "-".
    static func read(_ path: String?) throws -> (data: Data, name: String) {
        if let path, path != "-" {
            do {
                return (Data(try FileText.read(path, maxBytes: maxDocumentBytes).utf8), path)
            } catch {
                throw CommandError("\(error)")
            }
        }
        let data = FileHandle.standardInput.readData(ofLength: maxDocumentBytes + 1)
        guard data.count <= maxDocumentBytes else { throw CommandError("<stdin> is larger than \(maxDocumentBytes) bytes") }
        return (data, "<stdin>")
    }

    /// Reads one JSON event; `nil` when the input is empty (no event at all).
    static func event(_ path: String?) throws -> JSON? {
        let (data, name) = try read(path)
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }
        let parsed = data.withUnsafeBytes { bytes in
            Result { () throws(JSONParseError) in try JSON.parse(bytes: bytes) }
        }
        switch parsed {
        case .success(let event): return event
        case .failure(let error):
            throw CommandError("\(name):\(error.line):\(error.column): error: the event is not valid JSON: \(error.message)")
        }
    }
}
