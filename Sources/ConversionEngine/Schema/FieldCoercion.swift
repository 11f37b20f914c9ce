import JSONKit
import MappingKit

/// A field declaration compiled for coercion: what `prepare` needs, reachable through one
/// reference instead of copying a `FieldSpec` (and retaining all its members) per value.
final class FieldCoercion: Sendable {
    let type: FieldType
    let multiple: Bool
    let required: Bool
    let choices: [JSON]?
    /// For objects (and the schema's top level): the members, by key.
    let members: KeyIndex
    let memberCoercions: [FieldCoercion]

    init(_ spec: FieldSpec) {
        type = spec.type
        multiple = spec.multiple
        required = spec.required
        choices = spec.choices
        members = KeyIndex(spec.properties.map(\.key))
        memberCoercions = spec.properties.map(FieldCoercion.init)
    }

    /// The top level of a schema: an object whose members are `fields`.
    init(object fields: [FieldSpec]) {
        type = .object
        multiple = false
        required = false
        choices = nil
        members = KeyIndex(fields.map(\.key))
        memberCoercions = fields.map(FieldCoercion.init)
    }

    /// Strings that need no coercion and no check.
    var acceptsAnyString: Bool { type == .string && choices == nil }

    /// True when `value` already has this scalar field's type (and choice), so coercion
    /// would return it unchanged.
    func acceptsUnchanged(_ value: JSON) -> Bool {
        guard !multiple, choices == nil else { return false }
        switch (type, value) {
        case (.string, .string), (.number, .int), (.integer, .int), (.boolean, .bool): return true
        // 1e400 parses to infinity, which JSON cannot carry: coercion refuses it.
        case (.number, .double(let d)): return d.isFinite
        default: return false
        }
    }

    /// True when every member of `object` is declared and already well typed, and no required
    /// member is missing: the object can be kept as it is.
    func acceptsUnchanged(_ object: JSONObject) -> Bool {
        var hint = 0
        for i in 0..<object.count {
            guard let position = members.position(of: object.keys[i], hint: &hint),
                memberCoercions[position].acceptsUnchanged(object.values[i])
            else { return false }
        }
        return memberCoercions.allSatisfy { !$0.required }
    }
}
