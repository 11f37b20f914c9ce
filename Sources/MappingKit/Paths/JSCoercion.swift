/// JavaScript conversions the mapping language relies on.
enum JSCoercion {
    /// JavaScript `String(value)`: numbers in JS formatting, arrays comma-joined (with
    /// `null` elements empty), objects as `[object Object]`.
    static func string(_ value: JSON) -> String {
        switch value {
        case .string(let s): s
        case .int(let i): String(i)
        case .double(let d): JSNumber.format(d)
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        case .object: "[object Object]"
        case .array(let elements):
            elements.map { $0.isNull ? "" : string($0) }.joined(separator: ",")
        }
    }

    /// The JavaScript type word for a possibly missing value (`undefined` when missing).
    static func typeName(_ value: JSON?) -> String {
        value?.typeName ?? "undefined"
    }

    /// JavaScript `value != ''` (loose inequality with the empty string).
    static func differsLooselyFromEmptyString(_ value: JSON) -> Bool {
        switch value {
        case .string(let s): !s.isEmpty
        case .int(let i): i != 0
        case .double(let d): d != 0
        case .bool(let b): b
        case .null: true
        case .array: !string(value).isEmpty
        case .object: true
        }
    }
}
