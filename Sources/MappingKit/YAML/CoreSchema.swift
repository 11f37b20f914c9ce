import JSONKit

/// The YAML 1.2 core schema: how a plain scalar's text becomes null, a boolean, a number
/// or a string, and how the `!!null`, `!!bool`, `!!int` and `!!float` tags read their text.
enum CoreSchema {
    /// Why a scalar's text cannot become the JSON value it stands for.
    struct Failure: Error {
        let message: String
    }

    /// The value of an untagged plain scalar.
    static func resolvePlain(_ text: String) throws(Failure) -> JSON {
        if isNull(text) { return .null }
        if let b = bool(text) { return .bool(b) }
        guard let first = text.utf8.first, isNumberStart(first) else { return .string(text) }
        if let number = try integer(text) { return number }
        if let number = try float(text) { return number }
        return .string(text)
    }

    static func isNull(_ text: String) -> Bool {
        switch text {
        case "", "~", "null", "Null", "NULL": true
        default: false
        }
    }

    static func bool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE": true
        case "false", "False", "FALSE": false
        default: nil
        }
    }

    private static func isNumberStart(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."): true
        default: false
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// `[-+]?[0-9]+`, `0o[0-7]+` or `0x[0-9a-fA-F]+` as `.int`; a decimal too large for
    /// `Int` becomes `.double`, as in JSON. `nil` when the text is not an integer.
    static func integer(_ text: String) throws(Failure) -> JSON? {
        let bytes = Array(text.utf8)
        if bytes.count > 2, bytes[0] == UInt8(ascii: "0"), bytes[1] == UInt8(ascii: "o") || bytes[1] == UInt8(ascii: "x") {
            let radix = bytes[1] == UInt8(ascii: "o") ? 8 : 16
            let digits = text.utf8.dropFirst(2)
            guard digits.allSatisfy({ Int(ascii: $0, radix: radix) != nil }) else { return nil }
            guard let value = Int(Substring(digits), radix: radix) else {
                throw Failure(message: "the integer \(text) does not fit in 64 bits")
            }
            return .int(value)
        }
        var digits = bytes[...]
        if let sign = digits.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy(isDigit) else { return nil }
        if let value = Int(text) { return .int(value) }
        guard let value = Double(text) else { return nil }
        return .double(value)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?` as `.double`. `.inf` and
    /// `.nan` are failures, since JSON cannot hold them; `nil` when the text is not a float.
    static func float(_ text: String) throws(Failure) -> JSON? {
        var bytes = Array(text.utf8)[...]
        var sign = ""
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            if first == UInt8(ascii: "-") { sign = "-" }
            bytes = bytes.dropFirst()
        }
        switch String(decoding: bytes, as: UTF8.self) {
        case ".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN":
            throw Failure(message: "\(text) is not a number JSON can hold")
        default: break
        }
        // Rebuild the text in a form Double(_:) reads: digits on both sides of the point.
        var normalized = sign
        var integerDigits = 0
        while let b = bytes.first, isDigit(b) {
            normalized.unicodeScalars.append(Unicode.Scalar(b))
            integerDigits += 1
            bytes = bytes.dropFirst()
        }
        if integerDigits == 0 { normalized += "0" }
        var fractionDigits = 0
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            normalized += "."
            while let b = bytes.first, isDigit(b) {
                normalized.unicodeScalars.append(Unicode.Scalar(b))
                fractionDigits += 1
                bytes = bytes.dropFirst()
            }
            if fractionDigits == 0 { normalized += "0" }
        }
        guard integerDigits > 0 || fractionDigits > 0 else { return nil }
        if let e = bytes.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            normalized += "e"
            if let s = bytes.first, s == UInt8(ascii: "-") || s == UInt8(ascii: "+") {
                normalized.unicodeScalars.append(Unicode.Scalar(s))
                bytes = bytes.dropFirst()
            }
            guard !bytes.isEmpty, bytes.allSatisfy(isDigit) else { return nil }
            normalized += String(decoding: bytes, as: UTF8.self)
            bytes = []
        }
        guard bytes.isEmpty, let value = Double(normalized) else { return nil }
        guard value.isFinite else { throw Failure(message: "the number \(text) is too large") }
        return .double(value)
    }
}

extension Int {
    /// The value of one ASCII digit in `radix`, or `nil`.
    fileprivate init?(ascii byte: UInt8, radix: Int) {
        let value: Int
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): value = Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = Int(byte - UInt8(ascii: "A")) + 10
        default: return nil
        }
        guard value < radix else { return nil }
        self = value
    }
}
