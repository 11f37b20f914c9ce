import JSONKit

/// A trigger compiled for matching: paths pre-split, expected values pre-converted to the
/// string or number each operator compares with. Matching allocates nothing.
indirect enum TriggerMatcher: Sendable, Equatable {
    case all([TriggerMatcher])
    case any([TriggerMatcher])
    case not(TriggerMatcher)
    case test(Lookup, Predicate)

    /// Where the actual value comes from.
    enum Lookup: Sendable, Equatable {
        /// A top-level member (`type`, `event`, `name`, `userId`).
        case member(ExactText)
        /// A walk from a top-level object (`properties`, `traits`, `context`) along keys.
        case path(section: ExactText, keys: [ExactText])
    }

    /// What the actual value must satisfy, with Segment's coercions already applied to the
    /// expected side.
    enum Predicate: Sendable, Equatable {
        case stringEquals(ExactText)
        case stringNotEquals(ExactText)
        case numberEquals(Double)
        case numberNotEquals(Double)
        case less(Double)
        case lessOrEqual(Double)
        case greater(Double)
        case greaterOrEqual(Double)
        case contains(ExactText)
        case notContains(ExactText)
        case startsWith(ExactText)
        case notStartsWith(ExactText)
        case endsWith(ExactText)
        case notEndsWith(ExactText)
        case exists
        case notExists
        case isTrue
        case isFalse
    }

    init(_ node: TriggerNode) {
        switch node {
        case .condition(let condition):
            self = .test(Lookup(condition.field), Predicate(condition))
        case .group(let connective, let children):
            let compiled = children.map(TriggerMatcher.init)
            if compiled.count == 1 {
                self = compiled[0]
            } else {
                self = connective == .and ? .all(compiled) : .any(compiled)
            }
        case .not(let inner):
            self = .not(TriggerMatcher(inner))
        }
    }

    func matches(_ event: JSONObject) -> Bool {
        switch self {
        case .test(let lookup, let predicate):
            return predicate.holds(for: lookup.value(in: event))
        case .all(let children):
            for child in children where !child.matches(event) { return false }
            return true
        case .any(let children):
            for child in children where child.matches(event) { return true }
            return false
        case .not(let inner):
            return !inner.matches(event)
        }
    }
}

extension TriggerMatcher {
    /// ``matches(_:)`` for an object read in place.
    func matches(_ document: JSONDocument) -> Bool {
        switch self {
        case .test(let lookup, let predicate):
            return predicate.holds(for: lookup.found(in: document), in: document)
        case .all(let children):
            for child in children where !child.matches(document) { return false }
            return true
        case .any(let children):
            for child in children where child.matches(document) { return true }
            return false
        case .not(let inner):
            return !inner.matches(document)
        }
    }
}

/// What a lookup in a document found: a value in it, or one the walk made (a length, a
/// character of a string).
enum DocumentFound {
    case node(Int)
    case value(JSON)
}

extension TriggerMatcher.Lookup {
    /// ``value(in:)`` for an object read in place; `nil` for undefined.
    func found(in document: JSONDocument) -> DocumentFound? {
        switch self {
        case .member(let key):
            return key.withUTF8 { document.member($0, of: 0) }.map(DocumentFound.node)
        case .path(let section, let keys):
            guard !keys.isEmpty, var current = section.withUTF8({ document.member($0, of: 0) }) else { return nil }
            for (position, key) in keys.enumerated() {
                guard document.isTruthy(at: current) else { return .node(current) }
                switch document.kind(at: current) {
                case .object:
                    guard let next = key.withUTF8({ document.member($0, of: current) }) else { return nil }
                    current = next
                case .array where key.string != "length":
                    guard let index = key.arrayIndex, let next = document.element(index, of: current) else { return nil }
                    current = next
                case .array, .string:
                    return Self.walk(document.json(at: current), keys[position...]).map(DocumentFound.value)
                default:
                    return nil
                }
            }
            return .node(current)
        }
    }

    init(_ field: TriggerField) {
        if field.section.takesPath {
            // Segment splits the name on '.', '[' and ']' and drops empty pieces.
            let keys = (field.path ?? "").split(whereSeparator: { $0 == "." || $0 == "[" || $0 == "]" })
            self = .path(section: ExactText(field.section.rawValue), keys: keys.map { ExactText(String($0)) })
        } else {
            self = .member(ExactText(field.section.rawValue))
        }
    }

    /// The actual value, or `nil` for JavaScript's `undefined`. A path walk stops at the first
    /// falsy value and returns it, as `current && current[key]` does.
    func value(in event: JSONObject) -> JSON? {
        switch self {
        case .member(let key):
            return Self.member(key, of: event)
        case .path(let section, let keys):
            guard !keys.isEmpty else { return nil }
            guard let start = Self.member(section, of: event) else { return nil }
            return Self.walk(start, keys[...])
        }
    }

    /// Walks `keys` from `start`, stopping at the first falsy value.
    private static func walk(_ start: JSON, _ keys: ArraySlice<ExactText>) -> JSON? {
        var current = start
        for key in keys {
            guard current.isTruthy else { return current }
            guard let next = Self.member(key, of: current) else { return nil }
            current = next
        }
        return current
    }

    /// `value[key]` in JavaScript, for the values JSON can hold.
    private static func member(_ key: ExactText, of value: JSON) -> JSON? {
        switch value {
        case .object(let object):
            return member(key, of: object)
        case .array(let array):
            if key.string == "length" { return .int(array.count) }
            guard let index = key.arrayIndex, index < array.count else { return nil }
            return array[index]
        case .string(let string):
            let units = string.utf16
            if key.string == "length" { return .int(units.count) }
            guard let index = key.arrayIndex, index < units.count else { return nil }
            let unit = units[units.index(units.startIndex, offsetBy: index)]
            return .string(String(decoding: [unit], as: UTF16.self))
        default:
            return nil
        }
    }

    /// `object[key]`, comparing keys by code unit as JavaScript does.
    @inline(__always)
    private static func member(_ key: ExactText, of object: JSONObject) -> JSON? {
        object.members.withUnsafeBufferPointer { members in
            for i in members.indices where key.equals(members[i].key) {
                return members[i].value
            }
            return nil
        }
    }
}

extension TriggerMatcher.Predicate {
    init(_ condition: TriggerCondition) {
        let expected = condition.value ?? .null
        let text = JavaScript.string(expected)
        let number = JavaScript.number(expected)
        switch condition.comparison {
        case .equals: self = .stringEquals(ExactText(text))
        case .notEquals: self = .stringNotEquals(ExactText(text))
        case .numberEquals: self = .numberEquals(number)
        case .numberNotEquals: self = .numberNotEquals(number)
        case .less: self = .less(number)
        case .lessOrEqual: self = .lessOrEqual(number)
        case .greater: self = .greater(number)
        case .greaterOrEqual: self = .greaterOrEqual(number)
        case .contains: self = .contains(ExactText(text))
        case .notContains: self = .notContains(ExactText(text))
        case .startsWith: self = .startsWith(ExactText(text))
        case .notStartsWith: self = .notStartsWith(ExactText(text))
        // Ending with "" and starting with "" both mean "is text"; one form of it keeps a
        // trigger and its canonical text (`match(f, "*")`) equivalent.
        case .endsWith: self = text.isEmpty ? .startsWith(ExactText(text)) : .endsWith(ExactText(text))
        case .notEndsWith: self = text.isEmpty ? .notStartsWith(ExactText(text)) : .notEndsWith(ExactText(text))
        case .exists: self = .exists
        case .notExists: self = .notExists
        case .isTrue: self = .isTrue
        case .isFalse: self = .isFalse
        }
    }

    /// ``holds(for:)`` for a value found in a document: strings are compared in place.
    func holds(for found: DocumentFound?, in document: JSONDocument) -> Bool {
        guard case .node(let node)? = found else {
            if case .value(let value)? = found { return holds(for: value) }
            return holds(for: nil)
        }
        let kind = document.kind(at: node)
        switch self {
        case .stringEquals(let expected):
            return kind == .string && document.withStringBytes(at: node) { expected.equals(bytes: $0) }
        case .stringNotEquals(let expected):
            return kind != .string || !document.withStringBytes(at: node) { expected.equals(bytes: $0) }
        case .exists:
            return kind != .null
        case .notExists:
            return kind == .null
        default:
            return holds(for: document.json(at: node))
        }
    }

    /// Segment's `validateValue`: strict string equality, number-only comparisons, and
    /// string-only text tests (false, even negated, when the actual value is not a string).
    func holds(for actual: JSON?) -> Bool {
        switch self {
        case .stringEquals(let expected):
            guard case .string(let s)? = actual else { return false }
            return expected.equals(s)
        case .stringNotEquals(let expected):
            guard case .string(let s)? = actual else { return true }
            return !expected.equals(s)
        case .numberEquals(let expected):
            guard let n = actual?.doubleValue else { return false }
            return n == expected
        case .numberNotEquals(let expected):
            guard let n = actual?.doubleValue else { return false }
            return n != expected
        case .less(let expected):
            guard let n = actual?.doubleValue else { return false }
            return n < expected
        case .lessOrEqual(let expected):
            guard let n = actual?.doubleValue else { return false }
            return n <= expected
        case .greater(let expected):
            guard let n = actual?.doubleValue else { return false }
            return n > expected
        case .greaterOrEqual(let expected):
            guard let n = actual?.doubleValue else { return false }
            return n >= expected
        case .contains(let expected):
            guard case .string(let s)? = actual else { return false }
            return expected.occurs(in: s, at: .anywhere)
        case .notContains(let expected):
            guard case .string(let s)? = actual else { return false }
            return !expected.occurs(in: s, at: .anywhere)
        case .startsWith(let expected):
            guard case .string(let s)? = actual else { return false }
            return expected.occurs(in: s, at: .start)
        case .notStartsWith(let expected):
            guard case .string(let s)? = actual else { return false }
            return !expected.occurs(in: s, at: .start)
        case .endsWith(let expected):
            guard case .string(let s)? = actual else { return false }
            return expected.occurs(in: s, at: .end)
        case .notEndsWith(let expected):
            guard case .string(let s)? = actual else { return false }
            return !expected.occurs(in: s, at: .end)
        case .exists:
            guard let actual else { return false }
            return !actual.isNull
        case .notExists:
            guard let actual else { return true }
            return actual.isNull
        case .isTrue:
            return actual == .bool(true)
        case .isFalse:
            return actual == .bool(false)
        }
    }

}
