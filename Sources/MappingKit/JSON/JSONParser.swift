/// Bounds that keep hostile JSON from exhausting the stack or memory.
public struct JSONLimits: Sendable {
    /// Deepest nesting of arrays and objects accepted.
    public var maxDepth: Int
    /// Largest input accepted, in bytes.
    public var maxBytes: Int

    public init(maxDepth: Int = 256, maxBytes: Int = 16 << 20) {
        self.maxDepth = maxDepth
        self.maxBytes = maxBytes
    }

    public static let `default` = JSONLimits()
}

/// Why a JSON text could not be read, and where (1-based line and column, 0-based byte offset).
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var line: Int
    public var column: Int
    public var offset: Int

    public var description: String { "\(line):\(column): \(message)" }
}

extension JSON {
    /// Parses one JSON value from UTF-8 text. Duplicate keys keep their first position and
    /// the last value, as `JSON.parse` does.
    public static func parse(_ text: String, limits: JSONLimits = .default) throws(JSONParseError) -> JSON {
        var text = text
        return try text.withUTF8 { buffer in
            Result { () throws(JSONParseError) in try parse(bytes: UnsafeRawBufferPointer(buffer), limits: limits) }
        }.get()
    }

    /// Parses one JSON value from UTF-8 bytes.
    @inlinable
    public static func parse(bytes: some Collection<UInt8>, limits: JSONLimits = .default) throws(JSONParseError) -> JSON {
        let result: Result<JSON, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            do throws(JSONParseError) {
                return .success(try parse(bytes: UnsafeRawBufferPointer(buffer), limits: limits))
            } catch {
                return .failure(error)
            }
        }
        if let result { return try result.get() }
        let array = Array(bytes)
        return try array.withUnsafeBytes { buffer in
            Result { () throws(JSONParseError) in try parse(bytes: buffer, limits: limits) }
        }.get()
    }

    /// Parses one JSON value from raw UTF-8 bytes.
    public static func parse(bytes: UnsafeRawBufferPointer, limits: JSONLimits = .default) throws(JSONParseError) -> JSON {
        var parser = JSONParser(bytes: bytes, limits: limits)
        if bytes.count > limits.maxBytes {
            throw parser.error("input is \(bytes.count) bytes, over the limit of \(limits.maxBytes)", at: 0)
        }
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.index < bytes.count {
            throw parser.error("unexpected text after the JSON value")
        }
        return value
    }
}

/// The JSON grammar, over bytes in memory. Not copyable: it owns its pending stacks, which it
/// frees when it ends.
struct JSONParser: ~Copyable {
    let bytes: UnsafeRawBufferPointer
    let limits: JSONLimits
    var index = 0
    /// Scratch space for strings with escapes.
    var scratch: [UInt8] = []
    /// Members of the objects being read, innermost last; each object takes its own
    /// members off the end, so its array is allocated once at its final size.
    var pendingMembers = PendingStack<JSONObject.Member>()
    /// Elements of the arrays being read, innermost last.
    var pendingValues = PendingStack<JSON>()
    /// `ShortKey.fingerprint` of each pending key, or 0 when it has none; keys whose
    /// fingerprints differ are different, so duplicates are looked for without comparing strings.
    var pendingFingerprints = PendingStack<UInt64>()
    let knownKeys = KnownKeys.segment

    init(bytes: UnsafeRawBufferPointer, limits: JSONLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    func error(_ message: String, at offset: Int? = nil) -> JSONParseError {
        let offset = min(offset ?? index, bytes.count)
        var line = 1
        var lineStart = 0
        for i in 0..<offset where bytes[i] == UInt8(ascii: "\n") {
            line += 1
            lineStart = i + 1
        }
        // Column counts characters, not bytes.
        var column = 1
        for i in lineStart..<offset where bytes[i] & 0xC0 != 0x80 { column += 1 }
        return JSONParseError(message: message, line: line, column: column, offset: offset)
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSON {
        guard index < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected character \(describe(bytes[index])), expected a value")
        }
    }

    func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x\(String(byte, radix: 16))"
    }

    mutating func expectWord(_ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected end of input, expected \(word)") }
        for i in 0..<count where bytes[index + i] != word.utf8Start[i] {
            throw error("invalid literal, expected \(word)")
        }
        index += count
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSON {
        if depth > limits.maxDepth { throw error("nesting deeper than \(limits.maxDepth) levels") }
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(JSONObject())
        }
        let memberBase = pendingMembers.count
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input inside an object") }
            guard bytes[index] == UInt8(ascii: "\"") else {
                throw error("expected a quoted key, found \(describe(bytes[index]))")
            }
            let (key, fingerprint) = try parseKey()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw error("expected ':' after the key \"\(key)\"")
            }
            index += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            if let duplicate = pendingIndex(of: key, fingerprint: fingerprint, from: memberBase) {
                // As JSON.parse: the first position, the last value.
                pendingMembers[duplicate].value = value
            } else {
                pendingMembers.append(JSONObject.Member(key: key, value: value))
                pendingFingerprints.append(fingerprint)
            }
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input inside an object") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                let count = pendingMembers.count - memberBase
                pendingFingerprints.removeLast(count)
                return .object(JSONObject(uniqueMembers: pendingMembers.takeLast(count)))
            default: throw error("expected ',' or '}' in an object, found \(describe(bytes[index]))")
            }
        }
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSON {
        if depth > limits.maxDepth { throw error("nesting deeper than \(limits.maxDepth) levels") }
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array([])
        }
        let valueBase = pendingValues.count
        while true {
            skipWhitespace()
            pendingValues.append(try parseValue(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input inside an array") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return .array(pendingValues.takeLast(pendingValues.count - valueBase))
            default: throw error("expected ',' or ']' in an array, found \(describe(bytes[index]))")
            }
        }
    }

    /// A member name, and its `ShortKey.fingerprint` (0 for names that have none: long,
    /// escaped or non-ASCII ones). Known names come ready-made from `knownKeys`.
    @inline(__always)
    mutating func parseKey() throws(JSONParseError) -> (String, UInt64) {
        let contentStart = index + 1
        var allBits: UInt8 = 0
        let end = JSONStringScan.firstSpecial(in: bytes, from: contentStart, allBits: &allBits)
        let length = end - contentStart
        guard end < bytes.count, bytes[end] == UInt8(ascii: "\""), allBits < 0x80, length <= ShortKey.maxLength else {
            return (try parseString(), 0)
        }
        let key = ShortKey(bytes, start: contentStart, length: length)
        index = end + 1
        if let known = knownKeys.string(for: key) { return (known, key.fingerprint) }
        let text = UnsafeRawBufferPointer(rebasing: bytes[contentStart..<end])
        return (try makeString(text, start: contentStart, isASCII: true), key.fingerprint)
    }

    /// Where `key` already is among the pending keys from `base` on.
    @inline(__always)
    func pendingIndex(of key: String, fingerprint: UInt64, from base: Int) -> Int? {
        for i in base..<pendingFingerprints.count {
            let other = pendingFingerprints[i]
            if fingerprint != 0 && other != 0 && fingerprint != other { continue }
            if pendingMembers[i].key == key { return i }
        }
        return nil
    }

    mutating func parseString() throws(JSONParseError) -> String {
        let contentStart = index + 1
        switch try scanString() {
        case .plain(let range, let isASCII):
            return try makeString(UnsafeRawBufferPointer(rebasing: bytes[range]), start: contentStart, isASCII: isASCII)
        case .unescaped:
            return try scratch.withUnsafeBytes { buffer in
                Result { () throws(JSONParseError) in try makeString(buffer, start: contentStart, isASCII: false) }
            }.get()
        }
    }

    /// Where a string's text is once ``scanString()`` has read it.
    enum ScannedString {
        /// Escape-free: the text is `bytes[range]` as written.
        case plain(Range<Int>, isASCII: Bool)
        /// The text had escapes; `scratch` holds it unescaped (not yet checked as UTF-8).
        case unescaped
    }

    /// Reads the string starting at the current `"` and moves past its closing quote.
    mutating func scanString() throws(JSONParseError) -> ScannedString {
        let start = index
        index += 1
        let contentStart = index
        // Fast path: no escapes.
        var allBits: UInt8 = 0
        index = JSONStringScan.firstSpecial(in: bytes, from: index, allBits: &allBits)
        if index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                return .plain(contentStart..<index - 1, isASCII: allBits < 0x80)
            }
            if b < 0x20 { throw error("control character in a string must be escaped") }
        }
        guard index < bytes.count else { throw error("unterminated string", at: start) }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[contentStart..<index]))
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                return .unescaped
            }
            if b < 0x20 { throw error("control character in a string must be escaped") }
            if b != UInt8(ascii: "\\") {
                scratch.append(b)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { break }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): scratch.append(0x22)
            case UInt8(ascii: "\\"): scratch.append(0x5C)
            case UInt8(ascii: "/"): scratch.append(0x2F)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if scalar >= 0xD800 && scalar < 0xDC00,
                    index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                {
                    let save = index
                    index += 2
                    let low = try parseHex4()
                    if low >= 0xDC00 && low < 0xE000 {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        index = save
                    }
                }
                // Lone surrogates become U+FFFD, as a UTF-8 string cannot hold them.
                let u = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                scratch.append(contentsOf: String(Character(u)).utf8)
            default:
                throw error("invalid escape sequence '\\\(Character(Unicode.Scalar(e)))'", at: index - 2)
            }
        }
        throw error("unterminated string", at: start)
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("incomplete \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - UInt8(ascii: "A") + 10)
            default: throw error("invalid hex digit in \\u escape")
            }
            v = v << 4 | d
            index += 1
        }
        return v
    }

    func makeString(_ buffer: UnsafeRawBufferPointer, start: Int, isASCII: Bool) throws(JSONParseError) -> String {
        let utf8 = buffer.assumingMemoryBound(to: UInt8.self)
        guard isASCII || UTF8Validation.isValid(utf8) else {
            throw error("invalid UTF-8 in a string", at: start)
        }
        // Valid, so decoding repairs nothing.
        return String(decoding: utf8, as: UTF8.self)
    }

    mutating func parseNumber() throws(JSONParseError) -> JSON {
        let start = index
        var isInteger = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") else {
            throw error("invalid number")
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                throw error("leading zeros are not allowed in numbers")
            }
        } else {
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            let digits = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
            if index == digits { throw error("expected digits after the decimal point") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            let digits = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
            if index == digits { throw error("expected digits in the exponent") }
        }
        let text = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
        if isInteger, text.count <= 18 {
            var v = 0
            var negative = false
            for b in text {
                if b == UInt8(ascii: "-") { negative = true } else { v = v * 10 + Int(b - UInt8(ascii: "0")) }
            }
            return .int(negative ? -v : v)
        }
        if !isInteger, let d = Self.exactDouble(text) { return .double(d) }
        let string = String(decoding: text, as: UTF8.self)
        if isInteger, let v = Int(string) { return .int(v) }
        guard let d = Double(string) else { throw error("invalid number", at: start) }
        return .double(d)
    }
}

extension JSONParser {
    private static let exactPowersOfTen: [Double] = (0...22).map { (0..<$0).reduce(1.0) { p, _ in p * 10 } }

    /// The value of a decimal number in one exactly rounded step, when its digits fit in
    /// 2^53 and its power of ten is at most 22 (both then exact in a `Double`); `nil`
    /// otherwise, for the caller's full conversion.
    static func exactDouble(_ text: UnsafeRawBufferPointer) -> Double? {
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var negative = false
        var i = 0
        if text[0] == UInt8(ascii: "-") {
            negative = true
            i = 1
        }
        var afterPoint = false
        while i < text.count {
            let b = text[i]
            if b == UInt8(ascii: ".") {
                afterPoint = true
            } else if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") {
                if mantissa != 0 || b != UInt8(ascii: "0") { digits += 1 }
                guard digits <= 15 else { return nil }
                mantissa = mantissa * 10 + UInt64(b - UInt8(ascii: "0"))
                if afterPoint { exponent -= 1 }
            } else {
                break  // an exponent: let the full conversion handle it
            }
            i += 1
        }
        guard i == text.count, exponent >= -22 else { return nil }
        let value = Double(mantissa) / exactPowersOfTen[-exponent]
        return negative ? -value : value
    }
}

/// A stack in memory it manages itself, so a finished container takes its elements off the
/// top in one move. Not copyable: its one owner frees it by ending.
struct PendingStack<Element>: ~Copyable {
    /// Allocated on the first append, so a parser that never uses the stack costs nothing.
    private var base: UnsafeMutablePointer<Element>?
    private var capacity = 0
    private(set) var count = 0

    init() {}

    deinit {
        guard let base else { return }
        base.deinitialize(count: count)
        base.deallocate()
    }

    subscript(index: Int) -> Element {
        @inline(__always) get { base.unsafelyUnwrapped[index] }
        @inline(__always) nonmutating set { base.unsafelyUnwrapped[index] = newValue }
    }

    @inline(__always)
    mutating func append(_ element: Element) {
        if count == capacity { grow() }
        (base.unsafelyUnwrapped + count).initialize(to: element)
        count += 1
    }

    private mutating func grow() {
        let newCapacity = max(32, capacity * 2)
        let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        if let base {
            newBase.moveInitialize(from: base, count: count)
            base.deallocate()
        }
        base = newBase
        capacity = newCapacity
    }

    /// Removes the top `count` elements and returns them, bottom first.
    @inline(__always)
    mutating func takeLast(_ count: Int) -> [Element] {
        guard count > 0 else { return [] }
        self.count -= count
        let start = base.unsafelyUnwrapped + self.count
        // Appending moved elements (rather than `init(unsafeUninitializedCapacity:)`, which
        // is not specialised and looks up type metadata on every call).
        var taken: [Element] = []
        taken.reserveCapacity(count)
        for slot in start..<start + count { taken.append(slot.move()) }
        return taken
    }

    mutating func removeLast(_ count: Int) {
        guard count > 0 else { return }
        self.count -= count
        (base.unsafelyUnwrapped + self.count).deinitialize(count: count)
    }
}

/// UTF-8 validation as RFC 3629 defines it: no overlong forms, no surrogates, nothing
/// above U+10FFFF.
enum UTF8Validation {
    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 {
                i += 1
                continue
            }
            func continuation(_ k: Int) -> Bool { i + k < n && bytes[i + k] & 0xC0 == 0x80 }
            switch b {
            case 0xC2...0xDF:
                guard continuation(1) else { return false }
                i += 2
            case 0xE0...0xEF:
                guard continuation(1), continuation(2) else { return false }
                let b1 = bytes[i + 1]
                if b == 0xE0 && b1 < 0xA0 { return false }  // overlong
                if b == 0xED && b1 >= 0xA0 { return false }  // surrogate
                i += 3
            case 0xF0...0xF4:
                guard continuation(1), continuation(2), continuation(3) else { return false }
                let b1 = bytes[i + 1]
                if b == 0xF0 && b1 < 0x90 { return false }  // overlong
                if b == 0xF4 && b1 >= 0x90 { return false }  // above U+10FFFF
                i += 4
            default:
                return false
            }
        }
        return true
    }
}
