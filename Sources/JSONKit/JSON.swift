/// A JSON value that keeps what the input said: integers stay integers, `43.98` stays
/// `43.98`, and object members keep their order.
///
/// Numbers compare by value across cases (`.int(1) == .double(1)`), as in JavaScript.
/// "No value" (JavaScript's `undefined`) is not a case: APIs use `JSON?` for it.
public enum JSON: Sendable {
    case null
    case bool(Bool)
    /// An integer literal that fits in 64 bits.
    case int(Int)
    /// Any other number (fractions, exponents, integers too large for `Int`).
    case double(Double)
    case string(String)
    case array([JSON])
    case object(JSONObject)
}

extension JSON {
    /// The JavaScript-style type word used in error messages:
    /// `null`, `boolean`, `number`, `string`, `array` or `object`.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int, .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// JavaScript truthiness: `false`, `0`, `NaN`, `""` and `null` are falsy; everything else,
    /// including `[]` and `{}`, is truthy.
    public var isTruthy: Bool {
        switch self {
        case .null: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .double(let d): d != 0 && !d.isNaN
        case .string(let s): !s.isEmpty
        case .array, .object: true
        }
    }

    public var isNull: Bool { if case .null = self { true } else { false } }

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var arrayValue: [JSON]? { if case .array(let a) = self { a } else { nil } }
    public var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }

    /// The number as a `Double`, for either numeric case.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    public var isNumber: Bool {
        switch self {
        case .int, .double: true
        default: false
        }
    }

    /// Member lookup on an object; `nil` for a missing key or a non-object.
    @inlinable
    public subscript(key: String) -> JSON? {
        if case .object(let o) = self { o[key] } else { nil }
    }
}

extension JSON: Equatable {
    public static func == (lhs: JSON, rhs: JSON) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.int(let a), .double(let b)): Double(a) == b
        case (.double(let a), .int(let b)): a == Double(b)
        case (.double(let a), .double(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        // Element-wise rather than `a == b`: the specialised Array == crashes the 6.3 optimiser.
        case (.array(let a), .array(let b)): a.count == b.count && zip(a, b).allSatisfy { $0 == $1 }
        case (.object(let a), .object(let b)): a == b
        default: false
        }
    }
}

extension JSON: Hashable {
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        case .int, .double: hasher.combine(doubleValue!)
        case .string(let s): hasher.combine(s)
        case .array(let a): hasher.combine(a)
        case .object(let o): hasher.combine(o)
        }
    }
}

extension JSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        var o = JSONObject()
        for (k, v) in elements { o[k] = v }
        self = .object(o)
    }
}

/// An ordered JSON object. Setting an existing key replaces its value in place (as
/// JavaScript does); setting `nil` removes the member. Lookups are linear, which beats
/// hashing for the small objects events are made of.
///
/// Members live in one array, so an object is one allocation and copying it one reference.
public struct JSONObject: Sendable, Hashable {
    /// One member of an object.
    public struct Member: Sendable {
        public var key: String
        public var value: JSON

        @inlinable
        public init(key: String, value: JSON) {
            self.key = key
            self.value = value
        }
    }

    @usableFromInline var storage: [Member]

    /// The members, in order.
    @inlinable public var members: [Member] { storage }

    @inlinable
    public init() {
        storage = []
    }

    /// Takes members the caller has already checked for duplicate keys.
    @inlinable
    public init(uniqueMembers members: [Member]) {
        self.storage = members
    }

    public init(minimumCapacity: Int) {
        storage = []
        storage.reserveCapacity(minimumCapacity)
    }

    @inlinable public var count: Int { storage.count }
    @inlinable public var isEmpty: Bool { storage.isEmpty }

    /// The keys, in order (a view: no copy is made).
    @inlinable public var keys: Keys { Keys(members: storage) }
    /// The values, in order (a view: no copy is made).
    @inlinable public var values: Values { Values(members: storage) }

    @inlinable
    public func index(forKey key: String) -> Int? {
        let length = key.utf8.count
        return storage.withUnsafeBufferPointer { members in
            for i in members.indices where members[i].key.utf8.count == length && members[i].key == key { return i }
            return nil
        }
    }

    /// The position of `key`, comparing at `guess` first and leaving `guess` at the position
    /// found: objects of one shape (the records of a batch) hold their keys in the same order,
    /// so a caller that keeps one guess per key across them rarely scans.
    @inlinable
    public func index(forKey key: String, guess: inout Int) -> Int? {
        if guess < count, storage[guess].key == key { return guess }
        guard let found = index(forKey: key) else { return nil }
        guess = found
        return found
    }

    public subscript(key: String) -> JSON? {
        @inlinable get {
            guard let i = index(forKey: key) else { return nil }
            return storage[i].value
        }
        set {
            if let i = index(forKey: key) {
                if let newValue {
                    storage[i].value = newValue
                } else {
                    storage.remove(at: i)
                }
            } else if let newValue {
                storage.append(Member(key: key, value: newValue))
            }
        }
    }

    /// Appends a member without checking for an existing key. The caller guarantees the
    /// key is new (for example when copying from another object).
    @inlinable
    public mutating func appendUnchecked(_ key: String, _ value: JSON) {
        storage.append(Member(key: key, value: value))
    }

    /// Visits the members in order, letting `body` rewrite each value in place; a member
    /// for which `body` returns `false` is removed. No copy is made when the object's storage
    /// is not shared.
    @inlinable
    public mutating func updateMembers<E: Error>(_ body: (_ key: String, _ value: inout JSON) throws(E) -> Bool) throws(E) {
        var kept = 0
        for index in storage.indices {
            let keep = try body(storage[index].key, &storage[index].value)
            if keep {
                if kept != index { storage.swapAt(kept, index) }
                kept += 1
            }
        }
        if kept < storage.count { storage.removeLast(storage.count - kept) }
    }

    /// Lets `body` rewrite the value at `position` (an index into ``values``) in place.
    @inlinable
    public mutating func updateValue<R>(at position: Int, _ body: (_ value: inout JSON) throws -> R) rethrows -> R {
        try body(&storage[position].value)
    }

    public mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (k, v) in lhs where rhs[k] != v { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent, to agree with ==.
        var acc = 0
        for (k, v) in self {
            var h = Hasher()
            h.combine(k)
            h.combine(v)
            acc ^= h.finalize()
        }
        hasher.combine(count)
        hasher.combine(acc)
    }
}

extension JSONObject {
    /// The keys of an object, by position.
    public struct Keys: RandomAccessCollection, Sendable {
        @usableFromInline let members: [Member]

        @inlinable init(members: [Member]) { self.members = members }

        @inlinable public var startIndex: Int { 0 }
        @inlinable public var endIndex: Int { members.count }
        @inlinable public subscript(position: Int) -> String { members[position].key }
    }

    /// The values of an object, by position.
    public struct Values: RandomAccessCollection, Sendable {
        @usableFromInline let members: [Member]

        @inlinable init(members: [Member]) { self.members = members }

        @inlinable public var startIndex: Int { 0 }
        @inlinable public var endIndex: Int { members.count }
        @inlinable public subscript(position: Int) -> JSON { members[position].value }
    }
}

extension JSONObject: Sequence {
    public struct Iterator: IteratorProtocol {
        @usableFromInline var members: IndexingIterator<[Member]>

        @inlinable init(members: [Member]) { self.members = members.makeIterator() }

        @inlinable
        public mutating func next() -> (key: String, value: JSON)? {
            guard let member = members.next() else { return nil }
            return (member.key, member.value)
        }
    }

    @inlinable public func makeIterator() -> Iterator { Iterator(members: storage) }
    @inlinable public var underestimatedCount: Int { count }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self.init()
        for (k, v) in elements { self[k] = v }
    }
}
