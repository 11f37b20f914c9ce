import Synchronization

/// One JSON text parsed into a flat list of nodes and read in place: the fast way to read
/// events when only some of their values are needed.
///
/// The project's one JSON grammar (``JSONParser``) fills it; ``JSON/parse(bytes:limits:)``
/// goes through a document too and builds the tree from its nodes. It builds no tree itself:
/// strings stay bytes until someone asks for them, and a document reused for the next event
/// allocates nothing once its buffers have grown. Mappings
/// (``Mapping/evaluate(_:)-(JSONDocument)``) and triggers (``Trigger/matches(_:)-(JSONDocument)``)
/// read a document directly; ``json`` builds the whole tree when it is really needed.
///
/// Duplicate keys behave as in `JSON.parse`: the last value wins, at the first key's position.
///
/// ```swift
/// var document = JSONDocument()
/// for line in lines {
///     try document.parse(line, limits: limits)
///     if trigger.matches(document) { let fields = try mapping.evaluate(document) }
/// }
/// ```
public struct JSONDocument: Sendable {
    @usableFromInline
    package enum Kind: UInt8, Sendable {
        case null, `false`, `true`, int, double, string, array, object
    }

    /// One value, in 16 bytes. What its two words hold depends on its kind; read them only
    /// through the accessors below, which state it:
    ///
    /// - string: ``textStart`` and ``textLength``: where its unescaped UTF-8 is in ``text``
    ///   (the input's bytes when the string had no escapes; otherwise written after the input);
    /// - array, object: ``count`` (elements; members for an object) and ``end`` (the index
    ///   of the first node after everything inside). An object's nodes are its members' key
    ///   and value, in turn; its ``keyClasses`` has a bit set for the class of each of its keys
    ///   (``keyClass(length:first:last:)``), so that most lookups of a missing key end at once;
    /// - int, double: ``numberBits``, the `Int`'s or the `Double`'s bit pattern;
    /// - null, false, true: nothing.
    @usableFromInline
    struct Node: Sendable {
        @usableFromInline var kind: Kind
        var isASCII: Bool
        @usableFromInline var keyClasses: UInt32 = 0
        @usableFromInline var low: UInt32
        @usableFromInline var high: UInt32

        private init(kind: Kind, isASCII: Bool, low: UInt32, high: UInt32) {
            self.kind = kind
            self.isASCII = isASCII
            self.low = low
            self.high = high
        }

        static func scalar(_ kind: Kind) -> Node { Node(kind: kind, isASCII: true, low: 0, high: 0) }

        static func number(_ kind: Kind, bits: UInt64) -> Node {
            Node(kind: kind, isASCII: true, low: UInt32(truncatingIfNeeded: bits), high: UInt32(truncatingIfNeeded: bits >> 32))
        }

        static func string(start: Int, length: Int, isASCII: Bool) -> Node {
            Node(kind: .string, isASCII: isASCII, low: UInt32(start), high: UInt32(length))
        }

        /// An array or object whose count and end ``close(count:end:keyClasses:)`` sets.
        static func openContainer(_ kind: Kind) -> Node { Node(kind: kind, isASCII: true, low: 0, high: 0) }

        @inlinable var isContainer: Bool { kind.rawValue >= Kind.array.rawValue }

        /// A string's text in ``JSONDocument/text``.
        @inlinable var textStart: Int { Int(low) }
        @inlinable var textLength: Int { Int(high) }
        @inlinable var textRange: Range<Int> { Int(low)..<Int(low) + Int(high) }

        /// A container's element (or member) count.
        @inlinable var count: Int { Int(low) }
        /// A container's end: the index of the first node after everything inside it.
        @inlinable var end: Int { Int(high) }

        /// A number's `Int` or `Double` bit pattern.
        @inlinable var numberBits: UInt64 { UInt64(low) | UInt64(high) << 32 }

        mutating func close(count: Int, end: Int, keyClasses: UInt32) {
            low = UInt32(count)
            high = UInt32(end)
            self.keyClasses = keyClasses
        }
    }

    /// The nodes, in text order. Valid while the document is not parsed again.
    /// (Stored, kept in step with ``storage`` by ``syncNodes()``: readers inlined into other
    /// modules then read a field of this struct, where reading the storage's, a class's, would
    /// pay a dynamic exclusivity check each time, and a call would cost more than the read.
    /// `nonisolated(unsafe)` is sound: it points into ``storage``, which this value keeps alive
    /// and which no other document writes to.)
    @usableFromInline nonisolated(unsafe) private(set) var nodes = UnsafeBufferPointer<Node>(start: nil, count: 0)
    private var storage = NodeStorage()

    /// Points ``nodes`` at what ``storage`` holds; called after every change to it.
    @inline(__always)
    private mutating func syncNodes() {
        nodes = UnsafeBufferPointer(start: storage.base, count: storage.count)
    }
    /// Which parse the nodes come from: unique in the process, so a ``Value`` can tell.
    private(set) var generation: UInt64 = 0
    /// Some object has a key twice (rare): lookups must then find the last one.
    @usableFromInline private(set) var hasRepeatedKeys = false
    /// The input as read, followed by the text of strings that had escapes.
    @usableFromInline private(set) var text: [UInt8] = []
    /// The input's length: a string whose text lies before it was written without escapes.
    private var inputCount = 0
    /// The root object's members, packed for lookup: triggers and mappings look up top-level
    /// members (`event`, `properties`, `context`…) dozens of times per event, and comparing
    /// these entries is cheaper than walking the nodes. Empty unless the root is an object.
    @usableFromInline var rootMembers: [RootMember] = []

    /// One member of the root object: its key's length and first eight bytes, and its value.
    @usableFromInline
    struct RootMember: Sendable {
        @usableFromInline var head: UInt64
        @usableFromInline var length: UInt32
        @usableFromInline var value: UInt32
    }

    /// An empty document; ``parse(_:limits:)`` fills it.
    public init() {}

    /// Parses `bytes`, replacing what the document held. On error the document is empty.
    public mutating func parse(_ bytes: UnsafeRawBufferPointer, limits: JSONLimits = .default) throws(JSONParseError) {
        // A copy of this document may still read the old nodes: then they stay with it.
        if !isKnownUniquelyReferenced(&storage) { storage = NodeStorage() }
        storage.count = 0
        syncNodes()
        text.removeAll(keepingCapacity: true)
        rootMembers.removeAll(keepingCapacity: true)
        text.append(contentsOf: bytes)
        inputCount = bytes.count
        hasRepeatedKeys = false
        generation = documentGenerations.add(1, ordering: .relaxed).newValue
        var parser = JSONParser(bytes: bytes, limits: limits)
        do throws(JSONParseError) {
            if bytes.count > limits.maxBytes {
                throw parser.error("input is \(bytes.count) bytes, over the limit of \(limits.maxBytes)", at: 0)
            }
            parser.skipWhitespace()
            try parser.appendValue(depth: 0, to: &self)
            parser.skipWhitespace()
            if parser.index < bytes.count {
                throw parser.error("unexpected text after the JSON value")
            }
            indexRootMembers()
        } catch {
            storage.count = 0
            syncNodes()
            throw error
        }
    }

    /// Parses a string holding one JSON value.
    public init(parsing string: String, limits: JSONLimits = .default) throws(JSONParseError) {
        var string = string
        var document = JSONDocument()
        try string.withUTF8 { buffer in
            Result { () throws(JSONParseError) in try document.parse(UnsafeRawBufferPointer(buffer), limits: limits) }
        }.get()
        self = document
    }

    /// True when nothing has been parsed (or the last parse failed).
    public var isEmpty: Bool { nodes.isEmpty }

    /// The root value is an object.
    public var isObject: Bool { !nodes.isEmpty && nodes[0].kind == .object }

    /// The root value's type word (`object`, `array`, `string`, …), as ``JSON/typeName``.
    public var typeName: String { nodes.isEmpty ? "undefined" : typeName(at: 0) }

    /// The whole value as a tree. The document must not be empty.
    public var json: JSON {
        precondition(!isEmpty, "an empty JSONDocument has no value")
        return json(at: 0)
    }

    // MARK: Reading nodes

    @inlinable
    package func kind(at index: Int) -> Kind { nodes[index].kind }

    /// The index just past the value at `index` and everything inside it.
    @inlinable
    package func end(of index: Int) -> Int {
        let node = nodes[index]
        return node.isContainer ? node.end : index + 1
    }

    /// Element or member count of a container.
    @inlinable
    package func count(at index: Int) -> Int { nodes[index].count }

    package func typeName(at index: Int) -> String {
        switch nodes[index].kind {
        case .null: "null"
        case .false, .true: "boolean"
        case .int, .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// JavaScript truthiness, as ``JSON/isTruthy``.
    @inlinable
    package func isTruthy(at index: Int) -> Bool {
        let node = nodes[index]
        switch node.kind {
        case .null, .false: return false
        case .true, .array, .object: return true
        case .string: return node.textLength != 0
        case .int: return node.numberBits != 0
        case .double:
            let d = Double(bitPattern: node.numberBits)
            return d != 0 && !d.isNaN
        }
    }

    /// The value of the member named `key` of the object at `index` (the last one, if the
    /// key repeats), or `nil`.
    @inlinable
    package func member(_ key: UnsafeRawBufferPointer, of index: Int) -> Int? {
        guard nodes[index].keyClasses & Self.keyClassBit(key) != 0 else { return nil }
        if index == 0, !rootMembers.isEmpty { return rootMember(key) }
        let nodes = self.nodes
        return text.withUnsafeBytes { text in
            var found: Int?
            var i = index + 1
            let end = nodes[index].end
            while i < end {
                let keyNode = nodes[i]
                let value = i + 1
                if keyNode.textLength == key.count, Self.equal(text.baseAddress! + keyNode.textStart, key.baseAddress, key.count) {
                    // Without repeated keys the first match is the only one.
                    if !hasRepeatedKeys { return value }
                    found = value
                }
                let valueNode = nodes[value]
                i = valueNode.isContainer ? valueNode.end : value + 1
            }
            return found
        }
    }

    /// ``member(_:of:)`` for the root object, through ``rootMembers``.
    @inlinable
    func rootMember(_ key: UnsafeRawBufferPointer) -> Int? {
        let head = Self.head(key.baseAddress, key.count)
        return rootMembers.withUnsafeBufferPointer { members in
            text.withUnsafeBytes { text in
                var found: Int?
                for member in members where member.head == head && Int(member.length) == key.count {
                    let start = nodes[Int(member.value) - 1].textStart
                    guard key.count <= 8 || Self.equal(text.baseAddress! + start, key.baseAddress, key.count) else { continue }
                    // Without repeated keys the first match is the only one.
                    if !hasRepeatedKeys { return Int(member.value) }
                    found = Int(member.value)
                }
                return found
            }
        }
    }

    /// Fills ``rootMembers`` after a successful parse.
    private mutating func indexRootMembers() {
        guard nodes[0].kind == .object else { return }
        var members = rootMembers
        rootMembers = []
        text.withUnsafeBytes { text in
            var i = 1
            while i < nodes.count {
                let key = nodes[i]
                members.append(RootMember(
                    head: Self.head(text.baseAddress! + key.textStart, key.textLength), length: UInt32(key.textLength), value: UInt32(i + 1)))
                i = end(of: i + 1)
            }
        }
        rootMembers = members
    }

    /// A key's first eight bytes (fewer for a shorter key, the rest zero).
    @inlinable
    static func head(_ bytes: UnsafeRawPointer?, _ count: Int) -> UInt64 {
        guard let bytes else { return 0 }
        if count >= 8 { return bytes.loadUnaligned(as: UInt64.self) }
        var head: UInt64 = 0
        for i in 0..<count { head |= UInt64(bytes.load(fromByteOffset: i, as: UInt8.self)) << (8 * UInt64(i)) }
        return head
    }

    /// Byte equality for short runs, without a call to `memcmp`.
    @inlinable
    static func equal(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer?, _ count: Int) -> Bool {
        guard let b else { return count == 0 }
        var i = 0
        while i + 8 <= count {
            if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        while i < count {
            if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
            i += 1
        }
        return true
    }

    /// The value reached from the root through objects' members named `keys`, or `nil` when
    /// one is missing or a value on the way is not an object.
    public func value(atKeys keys: [[UInt8]]) -> JSON? {
        guard isObject else { return nil }
        var current = 0
        for key in keys {
            guard kind(at: current) == .object, let next = key.withUnsafeBytes({ member($0, of: current) }) else { return nil }
            current = next
        }
        return json(at: current)
    }

    /// The element at `position` of the array at `index`, or `nil` past its end.
    @inlinable
    package func element(_ position: Int, of index: Int) -> Int? {
        guard position < count(at: index) else { return nil }
        var i = index + 1
        for _ in 0..<position { i = end(of: i) }
        return i
    }

    /// The text of the string at `index`.
    @inlinable
    package func withStringBytes<R>(at index: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let node = nodes[index]
        return text.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[node.textRange])) }
    }

    /// The value at `index` as a tree.
    package func json(at index: Int) -> JSON {
        text.withUnsafeBytes { text in
            Builder(nodes: nodes, text: text, hasRepeatedKeys: hasRepeatedKeys).value(at: index)
        }
    }

    /// Makes trees from nodes; member names Segment events use come ready-made.
    private struct Builder {
        let nodes: UnsafeBufferPointer<Node>
        let text: UnsafeRawBufferPointer
        /// Only then are keys looked for among the members already made.
        let hasRepeatedKeys: Bool
        let knownKeys = KnownKeys.segment

        func value(at index: Int) -> JSON {
            let node = nodes[index]
            switch node.kind {
            case .null: return .null
            case .false: return .bool(false)
            case .true: return .bool(true)
            case .int: return .int(Int(truncatingIfNeeded: node.numberBits))
            case .double: return .double(Double(bitPattern: node.numberBits))
            case .string: return .string(string(node))
            case .array:
                var elements: [JSON] = []
                elements.reserveCapacity(node.count)
                var i = index + 1
                while i < node.end {
                    elements.append(value(at: i))
                    i = end(i)
                }
                return .array(elements)
            case .object:
                var members: [JSONObject.Member] = []
                members.reserveCapacity(node.count)
                var i = index + 1
                guard hasRepeatedKeys else {
                    while i < node.end {
                        members.append(JSONObject.Member(key: self.key(nodes[i]).0, value: value(at: i + 1)))
                        i = end(i + 1)
                    }
                    return .object(JSONObject(uniqueMembers: members))
                }
                var fingerprints: [UInt64] = []
                fingerprints.reserveCapacity(node.count)
                while i < node.end {
                    let (key, fingerprint) = self.key(nodes[i])
                    let member = value(at: i + 1)
                    if let duplicate = Self.position(of: key, fingerprint, in: members, fingerprints) {
                        members[duplicate].value = member
                    } else {
                        members.append(JSONObject.Member(key: key, value: member))
                        fingerprints.append(fingerprint)
                    }
                    i = end(i + 1)
                }
                return .object(JSONObject(uniqueMembers: members))
            }
        }

        @inline(__always)
        private func end(_ index: Int) -> Int {
            let node = nodes[index]
            return node.isContainer ? node.end : index + 1
        }

        private func string(_ node: Node) -> String {
            String(decoding: UnsafeRawBufferPointer(rebasing: text[node.textRange]), as: UTF8.self)
        }

        private func key(_ node: Node) -> (String, UInt64) {
            guard node.isASCII, node.textLength <= ShortKey.maxLength else { return (string(node), 0) }
            let key = ShortKey(text, start: node.textStart, length: node.textLength)
            return (knownKeys.string(for: key) ?? string(node), key.fingerprint)
        }

        private static func position(
            of key: String, _ fingerprint: UInt64, in members: [JSONObject.Member], _ fingerprints: [UInt64]
        ) -> Int? {
            for i in members.indices {
                let other = fingerprints[i]
                if fingerprint != 0 && other != 0 && fingerprint != other { continue }
                if members[i].key == key { return i }
            }
            return nil
        }
    }

    // MARK: Building (used by the parser)

    /// The class (0–63) of a key, from its length and end bytes: keys of different classes differ.
    @inlinable
    package static func keyClass(length: Int, first: UInt8, last: UInt8) -> UInt64 {
        guard length > 0 else { return 0 }
        return (UInt64(truncatingIfNeeded: length) &* 7 &+ UInt64(first) &* 3 &+ UInt64(last)) & 63
    }

    /// The bit of `key`'s class in an object's ``Node/keyClasses``.
    @inlinable
    static func keyClassBit(_ key: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = key.baseAddress, key.count > 0 else { return 1 }
        let keyClass = keyClass(length: key.count, first: base.load(as: UInt8.self), last: base.load(fromByteOffset: key.count - 1, as: UInt8.self))
        return 1 << UInt32(keyClass & 31)
    }

    /// Whether the key at `index` equals an earlier key of the object at `object`.
    package func repeatsEarlierKey(_ index: Int, in object: Int) -> Bool {
        let key = nodes[index]
        var i = object + 1
        while i < index {
            let other = nodes[i]
            if other.textLength == key.textLength,
                text.withUnsafeBytes({ Self.equal($0.baseAddress! + other.textStart, $0.baseAddress! + key.textStart, key.textLength) })
            {
                return true
            }
            i = end(of: i + 1)
        }
        return false
    }

    mutating func markRepeatedKeys() { hasRepeatedKeys = true }

    @inline(__always)
    mutating func appendScalar(_ kind: Kind) {
        storage.append(.scalar(kind))
        syncNodes()
    }

    mutating func appendNumber(_ value: JSON) {
        switch value {
        case .int(let i): storage.append(.number(.int, bits: UInt64(bitPattern: Int64(i))))
        default: storage.append(.number(.double, bits: (value.doubleValue ?? .nan).bitPattern))
        }
        syncNodes()
    }

    @inline(__always)
    mutating func appendString(at range: Range<Int>, isASCII: Bool) {
        storage.append(.string(start: range.lowerBound, length: range.count, isASCII: isASCII))
        syncNodes()
    }

    /// A string whose unescaped text is not in the input: it is kept after it.
    mutating func appendString(unescaped bytes: [UInt8]) {
        let start = text.count
        text.append(contentsOf: bytes)
        storage.append(.string(start: start, length: bytes.count, isASCII: bytes.allSatisfy { $0 < 0x80 }))
        syncNodes()
    }

    /// Starts a container; ``closeContainer(_:count:)`` completes it.
    @inline(__always)
    mutating func openContainer(_ kind: Kind) -> Int {
        storage.append(.openContainer(kind))
        syncNodes()
        return storage.count - 1
    }

    /// Completes a container; `keyClasses` has bit `c` set for each key class `c` of an object.
    mutating func closeContainer(_ index: Int, count: Int, keyClasses: UInt64 = 0) {
        precondition(index < storage.count)
        storage.base[index].close(count: count, end: storage.count, keyClasses: UInt32(truncatingIfNeeded: keyClasses | keyClasses >> 32))
    }
}

/// The source of ``JSONDocument``'s generations.
private let documentGenerations = Atomic<UInt64>(0)

/// The nodes of a document: a buffer that only grows, appended to without the per-element
/// ownership check of an array (a document makes sure it owns its storage before parsing).
/// Nodes are plain values; a document never shares a storage it writes to.
final class NodeStorage: @unchecked Sendable {
    private(set) var base: UnsafeMutablePointer<JSONDocument.Node>
    private var capacity: Int
    /// How many nodes are in use.
    var count = 0

    init(capacity: Int = 64) {
        base = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    deinit { base.deallocate() }

    @inline(__always)
    func append(_ node: JSONDocument.Node) {
        if count == capacity { grow() }
        (base + count).initialize(to: node)
        count += 1
    }

    private func grow() {
        let larger = UnsafeMutablePointer<JSONDocument.Node>.allocate(capacity: capacity * 2)
        larger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = larger
        capacity *= 2
    }
}

// MARK: Reading from outside

extension JSONDocument {
    /// One value of a document, for reading it in place. Valid until the document is parsed
    /// again: each parse is a new generation, and reading a value of another generation (or
    /// of another document) stops the program instead of reading whatever is there now.
    public struct Value: Sendable, Hashable {
        let index: Int
        let generation: UInt64
    }

    /// `value`'s node, checked against what the document holds now.
    private func node(_ value: Value) -> Int {
        precondition(value.generation == generation && !isEmpty, "a JSONDocument.Value read after its document was parsed again, or from another document")
        return value.index
    }

    /// The value at node `index`, for readers in this package that walk nodes.
    package func value(atNode index: Int) -> Value { Value(index: index, generation: generation) }

    /// The top-level value, or `nil` when nothing is parsed.
    public var root: Value? { isEmpty ? nil : Value(index: 0, generation: generation) }

    /// The member `key` of an object (the last one, if the key repeats); `nil` for a missing
    /// key or a value that is not an object.
    public func member(_ key: String, of value: Value) -> Value? {
        guard kind(at: node(value)) == .object else { return nil }
        var key = key
        return key.withUTF8 { member(UnsafeRawBufferPointer($0), of: value.index) }.map { Value(index: $0, generation: generation) }
    }

    /// The elements of an array, in order; empty for anything else.
    public func elements(of value: Value) -> [Value] {
        guard kind(at: node(value)) == .array else { return [] }
        var elements: [Value] = []
        elements.reserveCapacity(count(at: value.index))
        var i = value.index + 1
        while i < end(of: value.index) {
            elements.append(Value(index: i, generation: generation))
            i = end(of: i)
        }
        return elements
    }

    /// Calls `body` with each element of an array, in order (nothing for anything else).
    public func forEachElement(of value: Value, _ body: (Value) -> Void) {
        guard kind(at: node(value)) == .array else { return }
        var i = value.index + 1
        while i < end(of: value.index) {
            body(Value(index: i, generation: generation))
            i = end(of: i)
        }
    }

    /// Calls `body` with each member of an object, in order: its key's UTF-8 and its value
    /// (nothing for anything else). A repeated key comes twice; the later one is the value.
    public func forEachMember(of value: Value, _ body: (UnsafeRawBufferPointer, Value) -> Void) {
        guard kind(at: node(value)) == .object else { return }
        text.withUnsafeBytes { text in
            var i = value.index + 1
            let end = end(of: value.index)
            while i < end {
                body(UnsafeRawBufferPointer(rebasing: text[nodes[i].textRange]), Value(index: i + 1, generation: generation))
                i = self.end(of: i + 1)
            }
        }
    }

    public func isObject(_ value: Value) -> Bool { kind(at: node(value)) == .object }
    public func isArray(_ value: Value) -> Bool { kind(at: node(value)) == .array }
    public func isString(_ value: Value) -> Bool { kind(at: node(value)) == .string }
    public func isNumber(_ value: Value) -> Bool { kind(at: node(value)) == .int || kind(at: node(value)) == .double }

    /// The text of a string value; `nil` for anything else.
    public func string(_ value: Value) -> String? {
        guard kind(at: node(value)) == .string else { return nil }
        return withStringBytes(at: value.index) { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with a string value's UTF-8 bytes (no copy); `nil` for anything else.
    public func withUTF8<R>(_ value: Value, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        guard kind(at: node(value)) == .string else { return nil }
        return withStringBytes(at: value.index, body)
    }

    /// Calls `body` with a string value's JSON text, quotes included, as the input wrote it, when
    /// it had no escapes: such text needs none to be written again (the grammar refuses raw
    /// control characters, and its UTF-8 is valid). Nil for a string that had escapes, and for
    /// anything else.
    public func withPlainJSONText<R>(_ value: Value, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        let node = nodes[node(value)]
        guard node.kind == .string, node.textStart + node.textLength <= inputCount else { return nil }
        return text.withUnsafeBytes { text in
            body(UnsafeRawBufferPointer(rebasing: text[node.textStart - 1..<node.textStart + node.textLength + 1]))
        }
    }

    /// The value as a tree.
    public func json(_ value: Value) -> JSON { json(at: node(value)) }

    public func isNull(_ value: Value) -> Bool { kind(at: node(value)) == .null }

    /// An array's element count or an object's member count; 0 for anything else.
    public func count(_ value: Value) -> Int { nodes[node(value)].isContainer ? count(at: value.index) : 0 }

    /// JavaScript truthiness, as ``JSON/isTruthy``.
    public func isTruthy(_ value: Value) -> Bool { isTruthy(at: node(value)) }

    /// The node of a value read from this document, checked as every read is.
    package func index(of value: Value) -> Int { node(value) }
}
