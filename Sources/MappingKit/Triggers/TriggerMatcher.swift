/// A trigger compiled for matching: paths pre-split, expected values pre-converted to the
/// string or number each operator compares with. Matching allocates nothing.
indirect enum TriggerMatcher: Sendable {
    case all([TriggerMatcher])
    case any([TriggerMatcher])
    case not(TriggerMatcher)
    case test(Lookup, Predicate)

    /// Where the actual value comes from.
    enum Lookup: Sendable {
        /// A top-level member (`type`, `event`, `name`, `userId`).
        case member(ExactText)
        /// A walk from a top-level object (`properties`, `traits`, `context`) along keys.
        case path(section: ExactText, keys: [ExactText])
    }

    /// What the actual value must satisfy, with Segment's coercions already applied to the
    /// expected side.
    enum Predicate: Sendable {
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

extension TriggerMatcher.Lookup {
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
            guard var current = Self.member(section, of: event) else { return nil }
            for key in keys {
                guard current.isTruthy else { return current }
                guard let next = Self.member(key, of: current) else { return nil }
                current = next
            }
            return current
        }
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
        case .endsWith: self = .endsWith(ExactText(text))
        case .notEndsWith: self = .notEndsWith(ExactText(text))
        case .exists: self = .exists
        case .notExists: self = .notExists
        case .isTrue: self = .isTrue
        case .isFalse: self = .isFalse
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
