import JSONKit
import MappingKit

/// The type a field's values must have after coercion.
public enum FieldType: String, Sendable, CaseIterable {
    case string, number, integer, boolean, object
}

/// One field of an action, as declared in the action's schema file.
public struct FieldSpec: Sendable {
    public var key: String
    public var label: String?
    public var type: FieldType
    /// The value is a list of `type` (a scalar is wrapped into a one-element list).
    public var multiple: Bool
    public var required: Bool
    /// The only values allowed, if any.
    public var choices: [JSON]?
    /// The personal-data category (`email`, `phone`, `external_id`) that drives normalizing and hashing.
    public var pii: String?
    /// The mapping used for this field when a mapping file sets `defaults: true`.
    public var defaultMapping: JSON?
    /// For `object` fields: the members an item may have; other members are removed.
    public var properties: [FieldSpec]
    /// Where the record goes rather than what it says: set in a mapping file's `destination:`
    /// block (which takes only these fields), read by the destination to route the record.
    public var routing: Bool = false

    public init(
        key: String, label: String? = nil, type: FieldType, multiple: Bool = false, required: Bool = false,
        choices: [JSON]? = nil, pii: String? = nil, defaultMapping: JSON? = nil, properties: [FieldSpec] = []
    ) {
        self.key = key
        self.label = label
        self.type = type
        self.multiple = multiple
        self.required = required
        self.choices = choices
        self.pii = pii
        self.defaultMapping = defaultMapping
        self.properties = properties
    }
}

/// An action's field schema: which fields exist, their types and defaults.
///
/// ``prepare(_:)`` turns a mapped payload into the fields a destination receives, the way
/// Segment's framework does between mapping and `perform`: empty values removed, types
/// coerced, unknown keys dropped, required fields and choices checked.
public struct ActionSchema: Sendable {
    /// The action's names; the first is the current one, the others behave identically.
    public let names: [String]
    public let fields: [FieldSpec]
    /// The fields compiled for `prepare`.
    let coercion: FieldCoercion

    public init(names: [String], fields: [FieldSpec]) {
        self.names = names
        self.fields = fields
        self.coercion = FieldCoercion(object: fields)
    }

    public var name: String { names.first ?? "" }

    public func field(_ key: String) -> FieldSpec? {
        var hint = 0
        return coercion.members.position(of: key, hint: &hint).map { fields[$0] }
    }

    /// The mapping made of every field's default, in field order (Segment's `useDefaultMappings`).
    public var defaultMapping: JSONObject {
        var mapping = JSONObject()
        for field in fields {
            if let value = field.defaultMapping { mapping[field.key] = value }
        }
        return mapping
    }

    /// The keys of the fields in the personal-data category `category`.
    public func keys(pii category: String) -> [String] {
        fields.filter { $0.pii == category }.map(\.key)
    }
}

/// The actions a destination offers, by any of their names.
public struct ActionCatalog: Sendable {
    private var byName: [String: ActionSchema] = [:]
    public private(set) var actions: [ActionSchema] = []

    public init(_ actions: [ActionSchema] = []) {
        for action in actions { add(action) }
    }

    public mutating func add(_ action: ActionSchema) {
        actions.append(action)
        for name in action.names { byName[name] = action }
    }

    public subscript(name: String) -> ActionSchema? { byName[name] }

    public var names: [String] { actions.flatMap(\.names) }
}
