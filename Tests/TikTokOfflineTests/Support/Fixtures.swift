import Foundation
import JSONKit
import MappingKit
import Testing

/// Reads the files copied under `Tests/TikTokOfflineTests/Fixtures/`.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }

    static func json(_ name: String) -> JSON {
        do {
            return try JSON.parse(bytes: try Data(contentsOf: directory.appendingPathComponent(name)))
        } catch {
            fatalError("cannot read fixture \(name): \(error)")
        }
    }

    /// How many entries of each kind `tiktok.json` holds: a parameterized test over a kind that
    /// came back empty would pass without testing anything.
    static let vectorCounts = ["action": 35, "formatter": 11, "preset": 4]

    /// The entries of `tiktok.json` of one `kind`; an unknown or empty kind stops the run.
    static func vectors(kind: String) -> [Vector] {
        guard case .array(let entries) = json("tiktok.json") else { fatalError("tiktok.json is not an array") }
        let vectors = entries.compactMap { entry -> Vector? in
            guard case .object(let o) = entry, o["kind"]?.stringValue == kind else { return nil }
            return Vector(fields: o)
        }
        precondition(!vectors.isEmpty, "tiktok.json has no vectors of kind '\(kind)'")
        return vectors
    }

    /// Each line of an NDJSON fixture, parsed.
    static func ndjson(_ name: String) -> [JSON] {
        let text = try! String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        return text.split(separator: "\n").map { try! JSON.parse(String($0)) }
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
