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

    /// Parses one JSON value from raw UTF-8 bytes. The grammar is ``JSONDocument``'s (the one
    /// JSON grammar of the project); the tree is built from the document's nodes.
    public static func parse(bytes: UnsafeRawBufferPointer, limits: JSONLimits = .default) throws(JSONParseError) -> JSON {
        var document = JSONDocument()
        try document.parse(bytes, limits: limits)
        return document.json
    }
}

/// The JSON grammar, over bytes in memory: the one reader of JSON text in the project. It
/// fills a ``JSONDocument`` (`appendValue(depth:to:)`); ``JSON/parse(bytes:limits:)`` builds
/// its tree from that document.
struct JSONParser {
    let bytes: UnsafeRawBufferPointer
    let limits: JSONLimits
    var index = 0
    /// Scratch space for strings with escapes.
    var scratch: [UInt8] = []

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

// MARK: The grammar

extension JSONParser {
    /// Reads one value into `document`.
    mutating func appendValue(depth: Int, to document: inout JSONDocument) throws(JSONParseError) {
        guard index < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): try appendObject(depth: depth + 1, to: &document)
        case UInt8(ascii: "["): try appendArray(depth: depth + 1, to: &document)
        case UInt8(ascii: "\""): try appendString(to: &document)
        case UInt8(ascii: "t"): try expectWord("true"); document.appendScalar(.true)
        case UInt8(ascii: "f"): try expectWord("false"); document.appendScalar(.false)
        case UInt8(ascii: "n"): try expectWord("null"); document.appendScalar(.null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): document.appendNumber(try parseNumber())
        default: throw error("unexpected character \(describe(bytes[index])), expected a value")
        }
    }

    /// Appends a string and returns its class as a key (``JSONDocument/keyClass(length:first:last:)``),
    /// worked out from the bytes at hand rather than read back from the document.
    @discardableResult
    private mutating func appendString(to document: inout JSONDocument) throws(JSONParseError) -> UInt64 {
        let contentStart = index + 1
        switch try scanString() {
        case .plain(let range, let isASCII):
            if !isASCII {
                let valid = UTF8Validation.isValid(UnsafeRawBufferPointer(rebasing: bytes[range]).assumingMemoryBound(to: UInt8.self))
                guard valid else { throw error("invalid UTF-8 in a string", at: contentStart) }
            }
            document.appendString(at: range, isASCII: isASCII)
            guard !range.isEmpty else { return 0 }
            return JSONDocument.keyClass(length: range.count, first: bytes[range.lowerBound], last: bytes[range.upperBound - 1])
        case .unescaped:
            let valid = scratch.withUnsafeBufferPointer { UTF8Validation.isValid($0) }
            guard valid else { throw error("invalid UTF-8 in a string", at: contentStart) }
            document.appendString(unescaped: scratch)
            guard let first = scratch.first, let last = scratch.last else { return 0 }
            return JSONDocument.keyClass(length: scratch.count, first: first, last: last)
        }
    }

    private mutating func appendObject(depth: Int, to document: inout JSONDocument) throws(JSONParseError) {
        if depth > limits.maxDepth { throw error("nesting deeper than \(limits.maxDepth) levels") }
        let container = document.openContainer(.object)
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            document.closeContainer(container, count: 0)
            return
        }
        var count = 0
        // One bit per (length, first byte, last byte) class of the keys seen so far: a key
        // whose bit is already set is compared with the earlier keys. The object keeps them.
        var seenKeys: UInt64 = 0
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input inside an object") }
            guard bytes[index] == UInt8(ascii: "\"") else {
                throw error("expected a quoted key, found \(describe(bytes[index]))")
            }
            let bit: UInt64 = 1 << (try appendString(to: &document))
            if seenKeys & bit != 0, !document.hasRepeatedKeys, document.repeatsEarlierKey(document.nodes.count - 1, in: container) {
                document.markRepeatedKeys()
            }
            seenKeys |= bit
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                let key = document.json(at: document.nodes.count - 1).stringValue ?? ""
                throw error("expected ':' after the key \"\(key)\"")
            }
            index += 1
            skipWhitespace()
            try appendValue(depth: depth, to: &document)
            count += 1
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input inside an object") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                document.closeContainer(container, count: count, keyClasses: seenKeys)
                return
            default: throw error("expected ',' or '}' in an object, found \(describe(bytes[index]))")
            }
        }
    }

    private mutating func appendArray(depth: Int, to document: inout JSONDocument) throws(JSONParseError) {
        if depth > limits.maxDepth { throw error("nesting deeper than \(limits.maxDepth) levels") }
        let container = document.openContainer(.array)
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            document.closeContainer(container, count: 0)
            return
        }
        var count = 0
        while true {
            skipWhitespace()
            try appendValue(depth: depth, to: &document)
            count += 1
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input inside an array") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                document.closeContainer(container, count: count)
                return
            default: throw error("expected ',' or ']' in an array, found \(describe(bytes[index]))")
            }
        }
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
