/// The JavaScript conversions Segment's behaviour rests on (`String(x)`, `Number(x)`, loose
/// equality), so triggers and mappings coerce exactly as the reference does.
public enum JavaScript {
    /// JavaScript `String(value)`: numbers in JS formatting, arrays comma-joined (with
    /// `null` elements empty), objects as `[object Object]`.
    package static func string(_ value: JSON) -> String {
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
    package static func typeName(_ value: JSON?) -> String {
        value?.typeName ?? "undefined"
    }

    /// JavaScript `value != ''` (loose inequality with the empty string).
    package static func differsLooselyFromEmptyString(_ value: JSON) -> Bool {
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

    /// `Number(value)`: `NaN` when the value has no numeric reading.
    package static func number(_ value: JSON) -> Double {
        switch value {
        case .int(let i): Double(i)
        case .double(let d): d
        case .bool(let b): b ? 1 : 0
        case .null: 0
        case .string(let s): number(parsing: s)
        case .array, .object: .nan
        }
    }

    /// `Number(text)`: surrounding whitespace ignored, `""` is 0, decimal literals with an
    /// optional sign and exponent, `Infinity`, and unsigned `0x`/`0o`/`0b` integers.
    public static func number(parsing text: String) -> Double {
        // The usual case, a bare decimal literal, is read from the bytes directly.
        var literal = text
        if literal.withUTF8(isDecimalLiteral) { return Double(literal) ?? .nan }
        literal = text.trimmingJSWhitespace()
        if literal.isEmpty { return 0 }
        switch literal {
        case "Infinity", "+Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: break
        }
        let scalars = Array(literal.unicodeScalars)
        if scalars.count > 2, scalars[0] == "0" {
            let radix: Int? =
                switch scalars[1] {
                case "x", "X": 16
                case "o", "O": 8
                case "b", "B": 2
                default: nil
                }
            if let radix {
                var result = 0.0
                for c in scalars.dropFirst(2) {
                    guard let digit = Int(String(c), radix: radix) else { return .nan }
                    result = result * Double(radix) + Double(digit)
                }
                return result
            }
        }
        return literal.withUTF8(isDecimalLiteral) ? (Double(literal) ?? .nan) : .nan
    }

    /// The JSON number for `d`: an integer when it is one, else a double.
    public static func json(_ d: Double) -> JSON {
        if d == d.rounded(), abs(d) < 9_007_199_254_740_992 { return .int(Int(d)) }
        return .double(d)
    }

    /// `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`, over UTF-8 bytes.
    private static func isDecimalLiteral(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        func digits() -> Int {
            let start = i
            while i < s.count, s[i] >= UInt8(ascii: "0"), s[i] <= UInt8(ascii: "9") { i += 1 }
            return i - start
        }
        if i < s.count, s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") { i += 1 }
        var mantissa = digits()
        if i < s.count, s[i] == UInt8(ascii: ".") {
            i += 1
            mantissa += digits()
        }
        guard mantissa > 0 else { return false }
        if i < s.count, s[i] == UInt8(ascii: "e") || s[i] == UInt8(ascii: "E") {
            i += 1
            if i < s.count, s[i] == UInt8(ascii: "+") || s[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return false }
        }
        return i == s.count
    }
}

extension String {
    /// `self` without leading and trailing JavaScript whitespace (as `String.prototype.trim`).
    public func trimmingJSWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.isJSWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.isJSWhitespace })!
        if start == scalars.startIndex && end == scalars.index(before: scalars.endIndex) { return self }
        return String(scalars[start...end])
    }
}

extension Unicode.Scalar {
    /// WhiteSpace or LineTerminator in ECMAScript.
    public var isJSWhitespace: Bool {
        switch value {
        case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
            true
        default: false
        }
    }
}
