import MappingKit

/// Builds, from an event read in place, the part of it a pipeline's stages read
/// (``EventNeeds``): nothing, a few members, or the whole event.
struct EventParts: Sendable {
    private enum Plan: Sendable {
        case nothing
        /// Each path as its keys' bytes and names.
        case paths([[(name: String, utf8: [UInt8])]])
        case everything
    }

    private let plan: Plan

    init(_ needs: EventNeeds) {
        switch needs {
        case .nothing: plan = .nothing
        case .everything: plan = .everything
        case .paths(let paths):
            plan = .paths(paths.map { path in
                path.split(separator: ".", omittingEmptySubsequences: true).map { (String($0), Array($0.utf8)) }
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
            for keys in paths where !keys.isEmpty {
                guard let value = document.value(atKeys: keys.map(\.utf8)) else { continue }
                Self.insert(value, at: keys.map(\.name)[...], into: &event)
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
