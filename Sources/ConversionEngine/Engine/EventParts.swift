import JSONKit
import MappingKit

/// Builds, from an event read in place, the part of it a pipeline's stages read
/// (``EventNeeds``): nothing, a few members, or the whole event.
struct EventParts: Sendable {
    /// One needed member: its keys from the top, as names and as bytes (split once, at load).
    private struct Path: Sendable {
        let names: [String]
        let bytes: [[UInt8]]
    }

    private enum Plan: Sendable {
        case nothing
        case paths([Path])
        case everything
    }

    private let plan: Plan

    init(_ needs: EventNeeds) {
        switch needs {
        case .nothing: plan = .nothing
        case .everything: plan = .everything
        case .paths(let paths):
            plan = .paths(paths.compactMap { path in
                let keys = path.split(separator: ".", omittingEmptySubsequences: true)
                return keys.isEmpty ? nil : Path(names: keys.map(String.init), bytes: keys.map { Array($0.utf8) })
            })
        }
    }

    /// The event for records made from `document` (an object): `{}` when nothing is needed,
    /// the needed members (objects along the way included) when some are.
    func event(from document: JSONDocument) -> JSON {
        switch plan {
        case .nothing:
            return .object(JSONObject())
        case .everything:
            return document.json
        case .paths(let paths):
            var event = JSONObject()
            for path in paths {
                guard let value = document.value(atKeys: path.bytes) else { continue }
                Self.insert(value, at: path.names[...], into: &event)
            }
            return .object(event)
        }
    }

    /// The same part of an event given as a tree (an object), so that both ways of routing
    /// give a stage the same event.
    func event(from tree: JSON) -> JSON {
        switch plan {
        case .nothing:
            return .object(JSONObject())
        case .everything:
            return tree
        case .paths(let paths):
            var event = JSONObject()
            for path in paths {
                var value: JSON? = tree
                for key in path.names { value = value?.objectValue?[key] }
                guard let value else { continue }
                Self.insert(value, at: path.names[...], into: &event)
            }
            return .object(event)
        }
    }

    private static func insert(_ value: JSON, at keys: ArraySlice<String>, into object: inout JSONObject) {
        let key = keys.first!
        if keys.count == 1 {
            object[key] = value
            return
        }
        var inner = object[key]?.objectValue ?? JSONObject()
        insert(value, at: keys.dropFirst(), into: &inner)
        object[key] = .object(inner)
    }
}
