/// Finds the bytes of a JSON string that need attention (`"`, `\` and control
/// characters) eight at a time, so plain runs cost one test per word instead of three per byte.
enum JSONStringScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Non-zero when some byte of `word` is `"`, `\` or below 0x20. The lowest set bit is in
    /// the first such byte (borrows only carry upwards, so false marks appear only above a
    /// true one); other set bits say nothing reliable.
    @inline(__always)
    static func special(_ word: UInt64) -> UInt64 {
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let control = (word &- ones &* 0x20) & ~word
        let zeroQuote = (quote &- ones) & ~quote
        let zeroBackslash = (backslash &- ones) & ~backslash
        return (control | zeroQuote | zeroBackslash) & highBits
    }

    /// One to seven bytes as a word whose other bytes are plain (`a`); bytes may appear twice,
    /// read by overlapping loads, which changes nothing for `special`.
    @inline(__always)
    private static func shortWord(_ start: UnsafeRawPointer, count: Int) -> UInt64 {
        let padding = ones &* UInt64(UInt8(ascii: "a"))
        if count >= 4 {
            let low = UInt64(start.loadUnaligned(as: UInt32.self))
            let high = UInt64(start.loadUnaligned(fromByteOffset: count - 4, as: UInt32.self))
            return low | high << 32
        }
        if count >= 2 {
            let low = UInt64(start.loadUnaligned(as: UInt16.self))
            let high = UInt64(start.loadUnaligned(fromByteOffset: count - 2, as: UInt16.self))
            return low | high << 16 | padding << 32
        }
        return UInt64(start.load(as: UInt8.self)) | padding << 8
    }

    /// The offset of the first byte at or after `start` that is `"`, `\` or a control
    /// character, or `bytes.count`; `allBits` is ORed with every byte passed over (so a
    /// caller can tell ASCII text from UTF-8 that needs validating).
    @inline(__always)
    static func firstSpecial(in bytes: UnsafeRawBufferPointer, from start: Int, allBits: inout UInt8) -> Int {
        var i = start
        let count = bytes.count
        if let base = bytes.baseAddress {
            var wordBits: UInt64 = 0
            while i + 8 <= count {
                // Little-endian order, so the first byte is the lowest.
                let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let marks = special(word)
                if marks != 0 {
                    let offset = marks.trailingZeroBitCount / 8
                    wordBits |= word & ((1 << (8 * UInt64(offset))) &- 1)
                    if wordBits & highBits != 0 { allBits |= 0x80 }
                    return i + offset
                }
                wordBits |= word
                i += 8
            }
            if i < count, count - i < 8 {
                // The short tail as one more word: overlapping bytes already found clean, or,
                // for text under eight bytes, padded with a byte that needs no attention.
                let tail: UInt64
                if count >= 8 {
                    tail = base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
                } else {
                    tail = shortWord(base + i, count: count - i)
                }
                if special(tail) == 0 {
                    i = count
                    wordBits |= tail
                }
            }
            if wordBits & highBits != 0 { allBits |= 0x80 }
        }
        while i < count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b < 0x20 { return i }
            allBits |= b
            i += 1
        }
        return count
    }
}
