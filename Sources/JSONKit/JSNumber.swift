/// Formats numbers the way JavaScript's `String(number)` does, which is also how
/// `JSON.stringify` writes them: `100` not `100.0`, `1e-7` not `1e-07`, `1e+21`,
/// plain digits below 1e21.
public enum JSNumber {
    public static func format(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        if d == 0 { return "0" }
        if d == d.rounded() {
            if abs(d) < 1e15 { return String(Int64(d)) }
        } else if let text = fewDecimals(d) {
            return text
        } else {
            // A fraction is below 2^52, where Swift writes the same shortest digits in plain
            // decimal notation, as JavaScript does, unless it is small enough for an exponent.
            let text = d.description
            if !text.utf8.contains(UInt8(ascii: "e")) { return text }
        }

        return laidOut(d)
    }

    /// A fraction with at most three decimals and under 10^12 in size (prices, mostly), from
    /// integer arithmetic instead of the shortest-digits search: when `n / 1000` reads back as
    /// `d`, its digits (trailing zeros gone) are the shortest that do, since two decimals of
    /// at most 15 significant digits never read back as the same double.
    static func fewDecimals(_ d: Double) -> String? {
        let thousandths = (d * 1000).rounded()
        guard abs(thousandths) < 1e15, thousandths / 1000 == d else { return nil }
        let n = Int64(thousandths)
        var fraction = Int(n.magnitude % 1000)
        guard fraction != 0 else { return nil }  // a whole number
        var fractionDigits = 3
        while fraction % 10 == 0 {
            fraction /= 10
            fractionDigits -= 1
        }
        // Written backwards into one buffer: at most a sign, 12 digits, a point and 3 digits.
        return String(unsafeUninitializedCapacity: 17) { text in
            var end = 17
            func put(_ byte: UInt8) {
                end -= 1
                text[end] = byte
            }
            for _ in 0..<fractionDigits {
                put(UInt8(ascii: "0") + UInt8(fraction % 10))
                fraction /= 10
            }
            put(UInt8(ascii: "."))
            var whole = n.magnitude / 1000
            repeat {
                put(UInt8(ascii: "0") + UInt8(whole % 10))
                whole /= 10
            } while whole > 0
            if d < 0 { put(UInt8(ascii: "-")) }
            let count = 17 - end
            for i in 0..<count { text[i] = text[end + i] }
            return count
        }
    }

    /// ``format(_:)`` for a number Swift writes with an exponent, or with many digits.
    static func laidOut(_ d: Double) -> String {
        // Swift's description gives the shortest round-tripping digits; re-lay them out
        // by ECMAScript's Number::toString rules.
        let negative = d < 0
        let text = abs(d).description
        var digits: [UInt8] = []
        var exponent = 0
        var pointSeen = false
        var digitsBeforePoint = 0
        var iterator = text.utf8.makeIterator()
        while let c = iterator.next() {
            if c == UInt8(ascii: ".") {
                pointSeen = true
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                var rest = ""
                while let e = iterator.next() { rest.unicodeScalars.append(Unicode.Scalar(e)) }
                exponent = Int(rest) ?? 0
                break
            } else {
                digits.append(c)
                if !pointSeen { digitsBeforePoint += 1 }
            }
        }
        // Strip leading zeros (e.g. "0.001") and trailing zeros.
        var leading = 0
        while leading < digits.count - 1, digits[leading] == UInt8(ascii: "0") {
            leading += 1
            digitsBeforePoint -= 1
        }
        digits.removeFirst(leading)
        while digits.count > 1, digits.last == UInt8(ascii: "0") { digits.removeLast() }

        let k = digits.count
        let n = digitsBeforePoint + exponent  // position of the decimal point
        var out = negative ? "-" : ""
        func append(_ bytes: ArraySlice<UInt8>) { out += String(decoding: bytes, as: UTF8.self) }
        if k <= n && n <= 21 {
            append(digits[...])
            out += String(repeating: "0", count: n - k)
        } else if 0 < n && n <= 21 {
            append(digits[0..<n])
            out += "."
            append(digits[n...])
        } else if -6 < n && n <= 0 {
            out += "0."
            out += String(repeating: "0", count: -n)
            append(digits[...])
        } else {
            let e = n - 1
            append(digits[0..<1])
            if k > 1 {
                out += "."
                append(digits[1...])
            }
            out += e < 0 ? "e-" : "e+"
            out += String(abs(e))
        }
        return out
    }
}
