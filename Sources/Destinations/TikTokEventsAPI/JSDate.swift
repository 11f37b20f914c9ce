/// JavaScript's `Date.parse` for the date-time strings events carry (ISO-8601, as in the
/// ECMAScript date format), with the reference's clock in UTC.
package enum JSDate {
    /// Milliseconds since 1970 for `text`, or `nil` where JavaScript gives `NaN`.
    ///
    /// Accepted: `YYYY`, `YYYY-MM`, `YYYY-MM-DD` (UTC midnight), each date optionally
    /// followed by `T` (or a space) and `HH:mm`, `HH:mm:ss` or `HH:mm:ss.fff`, then `Z`,
    /// `±HH:mm`, `±HHmm` or nothing (read as UTC, like the reference's UTC clock).
    /// Six-digit signed years (`+002024`) are accepted too.
    package static func parseMilliseconds(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { parseMilliseconds(utf8: $0) }
    }

    private static func parseMilliseconds(utf8: UnsafeBufferPointer<UInt8>) -> Double? {
        var scanner = Scanner(utf8)
        var year: Int
        if let sign = scanner.take(oneOf: "+-") {
            guard let y = scanner.digits(exactly: 6), !(sign == UInt8(ascii: "-") && y == 0) else { return nil }
            year = sign == UInt8(ascii: "-") ? -y : y
        } else {
            guard let y = scanner.digits(exactly: 4) else { return nil }
            year = y
        }
        var month = 1, day = 1
        var hour = 0, minute = 0, second = 0
        var millisecond = 0.0
        var offsetMinutes = 0
        if scanner.take(UInt8(ascii: "-")) {
            guard let m = scanner.digits(exactly: 2), (1...12).contains(m) else { return nil }
            month = m
            if scanner.take(UInt8(ascii: "-")) {
                guard let d = scanner.digits(exactly: 2), (1...daysIn(month: month, year: year)).contains(d) else { return nil }
                day = d
            }
        }
        if scanner.take(oneOf: "Tt ") != nil {
            guard let h = scanner.digits(exactly: 2), scanner.take(UInt8(ascii: ":")),
                let mi = scanner.digits(exactly: 2)
            else { return nil }
            hour = h
            minute = mi
            if scanner.take(UInt8(ascii: ":")) {
                guard let s = scanner.digits(exactly: 2) else { return nil }
                second = s
                if scanner.take(oneOf: ".,") != nil {
                    guard let (fraction, count) = scanner.fraction() else { return nil }
                    millisecond = (fraction * 1000 / pow10(count)).rounded(.down)
                }
            }
            guard hour < 24 || (hour == 24 && minute == 0 && second == 0 && millisecond == 0), minute < 60, second < 60 else {
                return nil
            }
            if scanner.take(oneOf: "Zz") != nil {
                offsetMinutes = 0
            } else if let sign = scanner.take(oneOf: "+-") {
                guard let oh = scanner.digits(exactly: 2), oh < 24 else { return nil }
                _ = scanner.take(UInt8(ascii: ":"))
                guard let om = scanner.digits(exactly: 2), om < 60 else { return nil }
                offsetMinutes = (oh * 60 + om) * (sign == UInt8(ascii: "-") ? -1 : 1)
            }
        }
        guard scanner.atEnd else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Double(days) * 86_400 + Double(hour * 3600 + minute * 60 + second) - Double(offsetMinutes * 60)
        let ms = seconds * 1000 + millisecond
        guard abs(ms) <= 8.64e15 else { return nil }
        return ms
    }

    /// ``parseMilliseconds(_:)`` for UTF-8 text.
    package static func parseMilliseconds(utf8 text: UnsafeRawBufferPointer) -> Double? {
        parseMilliseconds(utf8: text.assumingMemoryBound(to: UInt8.self))
    }

    /// `floor(ms / 1000)`: TikTok's `event_time`.
    package static func epochSeconds(_ text: String) -> Int64? {
        parseMilliseconds(text).map(epochSeconds(milliseconds:))
    }

    /// ``epochSeconds(_:)`` for UTF-8 text.
    package static func epochSeconds(utf8 text: UnsafeRawBufferPointer) -> Int64? {
        parseMilliseconds(utf8: text).map(epochSeconds(milliseconds:))
    }

    private static func epochSeconds(milliseconds: Double) -> Int64 { Int64((milliseconds / 1000).rounded(.down)) }

    private static func pow10(_ n: Int) -> Double {
        var r = 1.0
        for _ in 0..<n { r *= 10 }
        return r
    }

    private static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

        var atEnd: Bool { i == bytes.count }

        mutating func take(_ b: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == b else { return false }
            i += 1
            return true
        }

        mutating func take(oneOf set: StaticString) -> UInt8? {
            guard i < bytes.count else { return nil }
            let b = bytes[i]
            let matches = set.withUTF8Buffer { $0.contains(b) }
            guard matches else { return nil }
            i += 1
            return b
        }

        mutating func digits(exactly n: Int) -> Int? {
            guard i + n <= bytes.count else { return nil }
            var value = 0
            for k in i..<(i + n) {
                let b = bytes[k]
                guard b >= 0x30 && b <= 0x39 else { return nil }
                value = value * 10 + Int(b - 0x30)
            }
            i += n
            return value
        }

        /// One or more digits: their value and how many there were (at most 9 kept).
        mutating func fraction() -> (Double, Int)? {
            var value = 0.0
            var count = 0
            while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 {
                if count < 9 {
                    value = value * 10 + Double(bytes[i] - 0x30)
                    count += 1
                }
                i += 1
            }
            return count == 0 ? nil : (value, count)
        }
    }
}
