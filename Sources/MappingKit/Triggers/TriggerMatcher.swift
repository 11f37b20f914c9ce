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
        case member(String)
        /// A walk from a top-level object (`properties`, `traits`, `context`) along keys.
        case path(section: String, keys: [String])
    }

    /// What the actual value must satisfy, with Segment's coercions already applied to the
    /// expected side.
    enum Predicate: Sendable {
        case stringEquals(String)
        case stringNotEquals(String)
        case numberEquals(Double)
        case numberNotEquals(Double)
        case less(Double)
        case lessOrEqual(Double)
        case greater(Double)
        case greaterOrEqual(Double)
        case contains(String)
        case notContains(String)
        case startsWith(String)
        case notStartsWith(String)
        case endsWith(String)
        case notEndsWith(String)
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
            let keys = (field.path ?? "").split(whereSeparator: { $0 == "." || $0 == "[" || $0 == "]" }).map(String.init)
            self = .path(section: field.section.rawValue, keys: keys)
        } else {
            self = .member(field.section.rawValue)
        }
    }

    /// The actual value, or `nil` for JavaScript's `undefined`. A path walk stops at the first
    /// falsy value and returns it, as `current && current[key]` does.
    func value(in event: JSONObject) -> JSON? {
        switch self {
        case .member(let key):
            return event[key]
        case .path(let section, let keys):
            guard !keys.isEmpty else { return nil }
            guard var current = event[section] else { return nil }
            for key in keys {
                guard current.isTruthy else { return current }
                guard let next = Self.member(key, of: current) else { return nil }
                current = next
            }
            return current
        }
    }

    /// `value[key]` in JavaScript, for the values JSON can hold.
    private static func member(_ key: String, of value: JSON) -> JSON? {
        switch value {
        case .object(let object):
            return object[key]
        case .array(let array):
            if key == "length" { return .int(array.count) }
            guard let index = arrayIndex(key), index < array.count else { return nil }
            return array[index]
        case .string(let string):
            let units = string.utf16
            if key == "length" { return .int(units.count) }
            guard let index = arrayIndex(key), index < units.count else { return nil }
            let unit = units[units.index(units.startIndex, offsetBy: index)]
            return .string(String(decoding: [unit], as: UTF16.self))
        default:
            return nil
        }
    }

    /// The index a canonical array-index key names (`"0"`, `"12"`, not `"01"`).
    private static func arrayIndex(_ key: String) -> Int? {
        guard let index = Int(key), index >= 0, String(index) == key else { return nil }
        return index
    }
}

extension TriggerMatcher.Predicate {
    init(_ condition: TriggerCondition) {
        let expected = condition.value ?? .null
        let text = JSValueConversion.string(expected)
        let number = JSValueConversion.number(expected)
        switch condition.comparison {
        case .equals: self = .stringEquals(text)
        case .notEquals: self = .stringNotEquals(text)
        case .numberEquals: self = .numberEquals(number)
        case .numberNotEquals: self = .numberNotEquals(number)
        case .less: self = .less(number)
        case .lessOrEqual: self = .lessOrEqual(number)
        case .greater: self = .greater(number)
        case .greaterOrEqual: self = .greaterOrEqual(number)
        case .contains: self = .contains(text)
        case .notContains: self = .notContains(text)
        case .startsWith: self = .startsWith(text)
        case .notStartsWith: self = .notStartsWith(text)
        case .endsWith: self = .endsWith(text)
        case .notEndsWith: self = .notEndsWith(text)
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
            return Self.sameText(s, expected)
        case .stringNotEquals(let expected):
            guard case .string(let s)? = actual else { return true }
            return !Self.sameText(s, expected)
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
            return Self.text(s, contains: expected)
        case .notContains(let expected):
            guard case .string(let s)? = actual else { return false }
            return !Self.text(s, contains: expected)
        case .startsWith(let expected):
            guard case .string(let s)? = actual else { return false }
            return s.utf8.starts(with: expected.utf8)
        case .notStartsWith(let expected):
            guard case .string(let s)? = actual else { return false }
            return !s.utf8.starts(with: expected.utf8)
        case .endsWith(let expected):
            guard case .string(let s)? = actual else { return false }
            return s.utf8.reversed().starts(with: expected.utf8.reversed())
        case .notEndsWith(let expected):
            guard case .string(let s)? = actual else { return false }
            return !s.utf8.reversed().starts(with: expected.utf8.reversed())
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

    /// JavaScript `===` on strings: the same code units, with no Unicode normalisation
    /// (Swift's `==` would equate "é" written two ways).
    @inline(__always)
    private static func sameText(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8)
    }

    /// JavaScript `includes`, byte-wise.
    private static func text(_ haystack: String, contains needle: String) -> Bool {
        let h = haystack.utf8, n = needle.utf8
        guard !n.isEmpty else { return true }
        guard h.count >= n.count else { return false }
        var start = h.startIndex
        let lastStart = h.index(h.endIndex, offsetBy: -n.count)
        while start <= lastStart {
            if h[start...].starts(with: n) { return true }
            start = h.index(after: start)
        }
        return false
    }
}
