/// Writes JSON text one member at a time and places the punctuation itself, so a layout reads
/// top to bottom as the document it writes:
///
/// ```swift
/// JSONTextWriter.append(to: &out) { json in
///     json.openObject()
///     json.member("event", .string("Purchase"))
///     json.openObject("user")
///     json.member("email", raw: "[]")
///     json.closeObject()
///     json.closeObject()
/// }   // {"event":"Purchase","user":{"email":[]}}
/// ```
///
/// Keys are static strings written as they are: they must need no escaping. Nesting is
/// limited to 64 levels. Arrays open with ``openArray(_:)`` and take elements in turn.
public struct JSONTextWriter {
    /// The text so far.
    public var bytes: [UInt8] { buffer }
    @usableFromInline var buffer: [UInt8]
    /// Bit `d` is set once the container at depth `d` has a member or element.
    @usableFromInline var started: UInt64 = 0
    @usableFromInline var depth = 0
    /// Where the value of the last key written starts.
    @usableFromInline var valueStart = 0

    @usableFromInline init(bytes: [UInt8]) { self.buffer = bytes }

    /// Runs `body` with a writer that appends to `out` (without copying it).
    @inlinable @inline(__always)
    public static func append(to out: inout [UInt8], _ body: (inout JSONTextWriter) -> Void) {
        var writer = JSONTextWriter(bytes: [])
        swap(&writer.buffer, &out)
        body(&writer)
        swap(&writer.buffer, &out)
    }

    /// Opens an object as the next value.
    @inlinable @inline(__always)
    public mutating func openObject() { open(UInt8(ascii: "{")) }

    /// Opens an object as the member `key`.
    @inlinable @inline(__always)
    public mutating func openObject(_ key: StaticString) {
        self.key(key)
        openObject()
    }

    @inlinable @inline(__always)
    public mutating func closeObject() { close(UInt8(ascii: "}")) }

    /// Writes `"key":` (after a comma unless it is the object's first member); the value follows.
    @inlinable @inline(__always)
    public mutating func key(_ key: StaticString) {
        separate()
        // One append for `"key":` (three cost more: each checks the array's capacity and ownership).
        let count = key.utf8CodeUnitCount
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count + 3) { text in
            text[0] = UInt8(ascii: "\"")
            UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(text)[1...]).copyMemory(
                from: UnsafeRawBufferPointer(start: key.utf8Start, count: count))
            text[count + 1] = UInt8(ascii: "\"")
            text[count + 2] = UInt8(ascii: ":")
            buffer.append(contentsOf: text)
        }
        valueStart = buffer.count
    }

    /// The bytes written since the last key: its value's length once written (2 for `[]`).
    @inlinable
    public var lastValueLength: Int { buffer.count - valueStart }

    /// The member `key` with a value.
    @inlinable @inline(__always)
    public mutating func member(_ key: StaticString, _ value: JSON) {
        self.key(key)
        value.serialize(into: &buffer)
    }

    /// The member `key` with a string value.
    @inlinable @inline(__always)
    public mutating func member(_ key: StaticString, string: String) {
        self.key(key)
        JSON.serializeString(string, into: &buffer)
    }

    /// The member `key` with a string value given as its UTF-8 text.
    @inlinable @inline(__always)
    public mutating func member(_ key: StaticString, utf8String text: UnsafeRawBufferPointer) {
        self.key(key)
        JSON.serializeString(utf8: text, into: &buffer)
    }

    /// Opens an array as the member `key`; ``element(utf8String:)`` and ``openObjectElement()`` add to it.
    @inlinable @inline(__always)
    public mutating func openArray(_ key: StaticString) {
        self.key(key)
        open(UInt8(ascii: "["))
    }

    @inlinable @inline(__always)
    public mutating func closeArray() { close(UInt8(ascii: "]")) }

    /// A string element of the open array, given as its UTF-8 text.
    @inlinable @inline(__always)
    public mutating func element(utf8String text: UnsafeRawBufferPointer) {
        separate()
        JSON.serializeString(utf8: text, into: &buffer)
    }

    /// Opens an object as the next element of the open array.
    @inlinable @inline(__always)
    public mutating func openObjectElement() {
        separate()
        openObject()
    }

    /// Writes a key given as JSON text with its colon (`"price":`, written once ahead); the
    /// value follows with ``value(_:)`` or ``value(utf8String:)``.
    @inlinable @inline(__always)
    public mutating func key(encoded text: [UInt8]) {
        separate()
        buffer.append(contentsOf: text)
        valueStart = buffer.count
    }

    /// The value after ``key(encoded:)``.
    @inlinable @inline(__always)
    public mutating func value(_ value: JSON) { value.serialize(into: &buffer) }

    /// A string value after ``key(encoded:)``, given as its UTF-8 text.
    @inlinable @inline(__always)
    public mutating func value(utf8String text: UnsafeRawBufferPointer) { JSON.serializeString(utf8: text, into: &buffer) }

    /// A comma before every member or element of the open container but its first.
    @inlinable @inline(__always)
    mutating func separate() {
        let bit: UInt64 = 1 << UInt64(depth)
        if started & bit != 0 { buffer.append(UInt8(ascii: ",")) }
        started |= bit
    }

    /// Opens a container with `bracket`: its first member or element takes no comma.
    @inlinable @inline(__always)
    mutating func open(_ bracket: UInt8) {
        buffer.append(bracket)
        depth += 1
        started &= ~(1 << UInt64(depth))
    }

    @inlinable @inline(__always)
    mutating func close(_ bracket: UInt8) {
        precondition(depth > 0, "a container closed that was not open")
        depth -= 1
        buffer.append(bracket)
    }

    /// The member `key` with an integer value.
    @inlinable @inline(__always)
    public mutating func member(_ key: StaticString, int: Int64) {
        self.key(key)
        buffer.append(contentsOf: String(int).utf8)
    }

    /// The member `key` with JSON text written as it is (`null`, `[]`, `true`).
    @inlinable @inline(__always)
    public mutating func member(_ key: StaticString, raw: StaticString) {
        self.key(key)
        buffer.append(contentsOf: UnsafeBufferPointer(start: raw.utf8Start, count: raw.utf8CodeUnitCount))
    }
}

extension JSONTextWriter {
    /// The member `key` with a string value of `document`: copied as the input wrote it when it
    /// had no escapes (``JSONDocument/withPlainJSONText(_:_:)``), else escaped as `JSON.stringify`
    /// does. Same bytes either way.
    public mutating func member(_ key: StaticString, string value: JSONDocument.Value, of document: JSONDocument) {
        self.key(key)
        self.value(string: value, of: document)
    }

    /// A string value of `document` after ``key(encoded:)``, as ``member(_:string:of:)`` writes it.
    public mutating func value(string value: JSONDocument.Value, of document: JSONDocument) {
        let copied: Void? = document.withPlainJSONText(value) { buffer.append(contentsOf: $0) }
        if copied == nil { document.withUTF8(value) { JSON.serializeString(utf8: $0, into: &buffer) } }
    }
}
