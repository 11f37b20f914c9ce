import Foundation
import Testing
import MappingKit

/// Reads the vector files copied under `Tests/MappingKitTests/Fixtures/`.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func json(_ name: String) -> JSON {
        let url = directory.appendingPathComponent(name)
        do {
            return try JSON.parse(bytes: try Data(contentsOf: url))
        } catch {
            fatalError("cannot read fixture \(name): \(error)")
        }
    }

    /// The entries of a vector file (a JSON array of objects), optionally of one `kind`.
    static func vectors(_ name: String, kind: String? = nil) -> [Vector] {
        guard case .array(let entries) = json(name) else { fatalError("\(name) is not an array") }
        return entries.compactMap { entry in
            guard case .object(let o) = entry else { return nil }
            if let kind, o["kind"]?.stringValue != kind { return nil }
            return Vector(fields: o)
        }
    }
}

/// One vector entry; its `name` is the test-case label.
struct Vector: Sendable, CustomTestStringConvertible {
    let fields: JSONObject
    var name: String { fields["name"]?.stringValue ?? "?" }
    subscript(key: String) -> JSON? { fields[key] }
    func flag(_ key: String) -> Bool { fields[key]?.boolValue == true }
    var testDescription: String { name }
}
