import Foundation
import JSONKit
import MappingKit
import Testing

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

    /// How many entries of each kind the vector files hold: a parameterized test over a kind
    /// that came back empty would pass without testing anything.
    static let vectorCounts = [
        "fql.json": ["match": 127, "parse": 29, "generate": 10],
        "mapping.json": ["transform": 163, "validate": 20, "fieldValueKeys": 6],
    ]

    /// The entries of a vector file (a JSON array of objects), optionally of one `kind`; an
    /// unknown or empty kind stops the run.
    static func vectors(_ name: String, kind: String? = nil) -> [Vector] {
        guard case .array(let entries) = json(name) else { fatalError("\(name) is not an array") }
        let vectors = entries.compactMap { entry -> Vector? in
            guard case .object(let o) = entry else { return nil }
            if let kind, o["kind"]?.stringValue != kind { return nil }
            return Vector(fields: o)
        }
        precondition(!vectors.isEmpty, "\(name) has no vectors\(kind.map { " of kind '\($0)'" } ?? "")")
        return vectors
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
