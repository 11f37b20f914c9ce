import MappingKit

/// JavaScript's `Number(string)` for the strings Ajv coerces: decimal literals with optional
/// sign, fraction and exponent; `0x`/`0o`/`0b` integers; `Infinity`; surrounding whitespace.
enum JSStringToNumber {
    /// The number `s` denotes, or `nil` where JavaScript gives `NaN`.
    static func parse(_ s: String) -> Double? {
        let trimmed = s.trimmingJSWhitespace()
        if trimmed.isEmpty { return 0 }
        var body = Substring(trimmed)
        var sign = 1.0
        if body.first == "+" || body.first == "-" {
            if body.first == "-" { sign = -1 }
            body = body.dropFirst()
            if body == "Infinity" { return sign * .infinity }
            return isDecimalLiteral(body) ? Double(trimmed) : nil
        }
        if body == "Infinity" { return .infinity }
        if body.count > 2, body.first == "0", let radix = ["x": 16, "X": 16, "o": 8, "O": 8, "b": 2, "B": 2][body.dropFirst().first!] {
            var result = 0.0
            for c in body.dropFirst(2) {
                guard let digit = c.hexDigitValue, digit < radix else { return nil }
                result = result * Double(radix) + Double(digit)
            }
            return result
        }
        return isDecimalLiteral(body) ? Double(body) : nil
    }

    /// A JSON number for `d`: an integer when it is one and safely representable.
    static func json(_ d: Double) -> JSON {
        if d.rounded(.towardZero) == d, abs(d) < 9_007_199_254_740_992, !(d == 0 && d.sign == .minus) {
            return .int(Int(d))
        }
        return .double(d)
    }

    private static func isDecimalLiteral(_ s: Substring) -> Bool {
        var digitsBeforeExponent = 0
        var seenDot = false
        var bytes = s.utf8.makeIterator()
        var current = bytes.next()
        while let b = current {
            if b >= 0x30 && b <= 0x39 {
                digitsBeforeExponent += 1
            } else if b == UInt8(ascii: ".") && !seenDot {
                seenDot = true
            } else {
                break
            }
            current = bytes.next()
        }
        guard digitsBeforeExponent > 0 else { return false }
        guard let e = current else { return true }
        guard e == UInt8(ascii: "e") || e == UInt8(ascii: "E") else { return false }
        current = bytes.next()
        if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { current = bytes.next() }
        var exponentDigits = 0
        while let b = current {
            guard b >= 0x30 && b <= 0x39 else { return false }
            exponentDigits += 1
            current = bytes.next()
        }
        return exponentDigits > 0
    }
}

extension String {
    /// `self` without leading and trailing JavaScript whitespace (as `String.prototype.trim`).
    package func trimmingJSWhitespace() -> String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.isJSWhitespace }) else { return "" }
        let end = scalars.lastIndex(where: { !$0.isJSWhitespace })!
        if start == scalars.startIndex && end == scalars.index(before: scalars.endIndex) { return self }
        return String(scalars[start...end])
    }
}

extension Unicode.Scalar {
    /// WhiteSpace or LineTerminator in ECMAScript.
    package var isJSWhitespace: Bool {
        switch value {
        case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
            true
        default: false
        }
    }
}
