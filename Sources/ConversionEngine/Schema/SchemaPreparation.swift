import JSONKit
import MappingKit

/// Why a payload does not fit its action's schema. The message names the field and the
/// type problem, never the value.
public struct SchemaViolation: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ActionSchema {
    /// Turns a mapped payload into the action's fields, as Segment does before `perform`:
    ///
    /// 1. Empty values go: `null` and `""` top-level members, and `null` list elements
    ///    (`""` elements too, unless the list holds strings). Members inside list items stay.
    /// 2. Unknown keys are dropped, at the top level and inside object items.
    /// 3. Types are coerced like Ajv's `coerceTypes: "array"`: numeric strings to numbers,
    ///    numbers and booleans to strings, `"true"`/`"false"` to booleans, `null` to
    ///    `0`/`""`/`false`, a scalar to a one-element list, a one-element list to a scalar.
    /// 4. Required fields and choices are checked.
    public func prepare(_ payload: consuming JSON) throws(SchemaViolation) -> JSONObject {
        var fields: JSONObject
        switch consume payload {
        case .object(let object): fields = object
        case let other: throw SchemaViolation("schema: the mapping must produce an object, got \(other.typeName)")
        }
        let top = coercion
        var hint = 0
        // In place: the mapping's output is not shared, and most values need no change.
        try fields.updateMembers { (key, value) throws(SchemaViolation) in
            guard let position = top.members.position(of: key, hint: &hint) else { return false }
            let field = top.memberCoercions[position]
            if field.acceptsAnyString, !field.multiple, case .string(let s) = value { return !s.isEmpty }
            guard let prepared = try Self.prepared(value, as: field, key: key) else { return false }
            value = prepared
            return true
        }
        for (position, field) in top.memberCoercions.enumerated() where field.required {
            let key = top.members.keys[position]
            if fields[key] == nil { throw SchemaViolation("schema: \(key) is required") }
        }
        return fields
    }

    /// Steps 1–3 for one top-level member `key`: its value as ``prepare(_:)`` leaves it, or nil
    /// when the member goes (empty, or no field of the action). For a caller that prepares
    /// members one at a time (a fused plan); check required fields yourself.
    public func prepareMember(_ key: String, _ value: JSON) throws(SchemaViolation) -> JSON? {
        var hint = 0
        guard let position = coercion.members.position(of: key, hint: &hint) else { return nil }
        let field = coercion.memberCoercions[position]
        if field.acceptsAnyString, !field.multiple, case .string(let s) = value { return s.isEmpty ? nil : value }
        return try Self.prepared(value, as: field, key: key)
    }

    /// ``prepare(_:)``'s coercion of one member `member` of an object in the list field `field`
    /// (`contents`'s `price`), for a caller that writes such objects member by member. Members
    /// the field does not declare go (nil).
    public func prepareItemMember(_ member: String, of field: String, _ value: JSON) throws(SchemaViolation) -> JSON? {
        var hint = 0
        guard let position = coercion.members.position(of: field, hint: &hint) else { return nil }
        let list = coercion.memberCoercions[position]
        hint = 0
        guard let memberPosition = list.members.position(of: member, hint: &hint) else { return nil }
        return try Self.coerce(value, to: list.memberCoercions[memberPosition], path: { "\(field).\(member)" })
    }

    private static func prepared(_ value: JSON, as field: FieldCoercion, key: String) throws(SchemaViolation) -> JSON? {
        guard let kept = removingEmpty(value, itemType: field.type) else { return nil }
        return try coerce(kept, to: field, path: { key })
    }

    /// Step 1 for one top-level member; `nil` when the member goes.
    static func removingEmpty(_ value: JSON, itemType: FieldType) -> JSON? {
        switch value {
        case .null: return nil
        case .string(let s) where s.isEmpty: return nil
        case .array(let items):
            var needsFilter = false
            for item in items where Self.isDroppedElement(item, itemType: itemType) {
                needsFilter = true
                break
            }
            return needsFilter ? .array(items.filter { !Self.isDroppedElement($0, itemType: itemType) }) : value
        default: return value
        }
    }

    private static func isDroppedElement(_ item: JSON, itemType: FieldType) -> Bool {
        switch item {
        case .null: true
        case .string(let s): s.isEmpty && itemType != .string
        default: false
        }
    }

    /// `path` names the value in error messages; it is only built when there is an error.
    static func coerce(_ value: JSON, to spec: FieldCoercion, path: () -> String) throws(SchemaViolation) -> JSON {
        if spec.multiple {
            var items: [JSON]
            switch value {
            case .array(let a): items = a
            case .object: throw SchemaViolation("schema: \(path()) must be an array but it was an object")
            default: items = [value]
            }
            for i in items.indices {
                if spec.acceptsAnyString, case .string = items[i] { continue }
                items[i] = try coerceSingle(items[i], to: spec, path: { "\(path())[\(i)]" })
            }
            return .array(items)
        }
        return try coerceSingle(value, to: spec, path: path)
    }

    private static func coerceSingle(_ value: JSON, to spec: FieldCoercion, path: () -> String) throws(SchemaViolation) -> JSON {
        if spec.acceptsAnyString, case .string = value { return value }
        var value = value
        if case .array(let a) = value, a.count == 1, spec.type != .object || a[0].objectValue != nil {
            value = a[0]
        }
        let coerced: JSON
        switch spec.type {
        case .string: coerced = try coerceString(value, path: path)
        case .number: coerced = try coerceNumber(value, integer: false, path: path)
        case .integer: coerced = try coerceNumber(value, integer: true, path: path)
        case .boolean: coerced = try coerceBoolean(value, path: path)
        case .object: coerced = try coerceObject(value, spec: spec, path: path)
        }
        if let choices = spec.choices, !choices.contains(coerced) {
            let allowed = choices.map { $0.stringValue ?? $0.serialized() }.joined(separator: ", ")
            throw SchemaViolation("schema: \(path()) must be one of: \(allowed)")
        }
        return coerced
    }

    private static func mismatch(_ path: () -> String, _ expected: String, _ value: JSON) -> SchemaViolation {
        SchemaViolation("schema: \(path()) must be \(expected) but it was \(value.typeName == "array" ? "an array" : value.typeName == "object" ? "an object" : "a \(value.typeName)")")
    }

    private static func coerceString(_ value: JSON, path: () -> String) throws(SchemaViolation) -> JSON {
        switch value {
        case .string: value
        case .int(let i): .string(String(i))
        case .double(let d): .string(JSNumber.format(d))
        case .bool(let b): .string(b ? "true" : "false")
        case .null: .string("")
        default: throw mismatch(path, "a string", value)
        }
    }

    private static func coerceNumber(_ value: JSON, integer: Bool, path: () -> String) throws(SchemaViolation) -> JSON {
        let number: JSON
        switch value {
        case .int: number = value
        case .double(let d):
            // 1e400 in the event: JSON has no Infinity, and it would be sent as null.
            guard d.isFinite else { throw outOfRange(path) }
            number = value
        case .bool(let b): number = .int(b ? 1 : 0)
        case .null: number = .int(0)
        case .string(let s):
            let d = JavaScript.number(parsing: s)
            guard !s.isEmpty, !d.isNaN else { throw mismatch(path, integer ? "an integer" : "a number", value) }
            // "Infinity", "1e400", 400 digits; and "1e-400", which is not 0 but would be sent as 0.
            guard d.isFinite else { throw outOfRange(path) }
            if d == 0, Self.hasNonZeroDigit(beforeExponentIn: s) { throw outOfRange(path) }
            number = JavaScript.json(d)
        default: throw mismatch(path, integer ? "an integer" : "a number", value)
        }
        if integer, let d = number.doubleValue, d.rounded(.towardZero) != d || !d.isFinite {
            throw mismatch(path, "an integer", value)
        }
        return number
    }

    /// The refusal of a number a double cannot hold (beyond ±1.8e308, or so small it would be 0).
    private static func outOfRange(_ path: () -> String) -> SchemaViolation {
        SchemaViolation("schema: \(path()) is a number out of range (beyond ±1.8e308, or so small it would be sent as 0)")
    }

    /// Whether the mantissa of a numeric text has a digit other than 0 (hex and binary forms
    /// count as written: they never underflow).
    private static func hasNonZeroDigit(beforeExponentIn text: String) -> Bool {
        for b in text.utf8 {
            if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") { return false }
            if b >= UInt8(ascii: "1") && b <= UInt8(ascii: "9") { return true }
        }
        return false
    }

    private static func coerceBoolean(_ value: JSON, path: () -> String) throws(SchemaViolation) -> JSON {
        switch value {
        case .bool: return value
        case .string("true"): return .bool(true)
        case .string("false"): return .bool(false)
        case .null: return .bool(false)
        case .int(0): return .bool(false)
        case .int(1): return .bool(true)
        case .double(let d) where d == 0 || d == 1: return .bool(d == 1)
        default: throw mismatch(path, "a boolean", value)
        }
    }

    private static func coerceObject(_ value: JSON, spec: FieldCoercion, path: () -> String) throws(SchemaViolation) -> JSON {
        guard case .object(let input) = value else { throw mismatch(path, "an object", value) }
        if spec.acceptsUnchanged(input) { return value }
        var output = JSONObject(minimumCapacity: input.count)
        var hint = 0
        for i in 0..<input.count {
            let key = input.keys[i]
            guard let position = spec.members.position(of: key, hint: &hint) else { continue }
            output.appendUnchecked(key, try coerce(input.values[i], to: spec.memberCoercions[position], path: { "\(path()).\(key)" }))
        }
        for (position, member) in spec.memberCoercions.enumerated() where member.required {
            let key = spec.members.keys[position]
            if output[key] == nil { throw SchemaViolation("schema: \(path()).\(key) is required") }
        }
        return .object(output)
    }
}
