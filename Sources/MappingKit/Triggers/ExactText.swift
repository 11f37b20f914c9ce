import JSONKit

/// A string compared the way JavaScript's `===` compares: same code units, no Unicode
/// normalisation (Swift's `==` would equate "é" written two ways).
struct ExactText: Sendable, Equatable {
    let string: String
    private let utf8: [UInt8]
    private let isASCII: Bool
    /// The array index the text names when it is a canonical one (`"0"`, `"12"`, not `"01"`).
    let arrayIndex: Int?
    /// Finds the text inside another, in linear time (built once, with the trigger).
    private let finder: SubstringSearch

    init(_ string: String) {
        self.string = string
        utf8 = Array(string.utf8)
        isASCII = string.utf8.allSatisfy { $0 < 0x80 }
        finder = SubstringSearch(utf8)
        if let index = Int(string), index >= 0, String(index) == string {
            arrayIndex = index
        } else {
            arrayIndex = nil
        }
    }

    /// Byte for byte (canonically equivalent Unicode is different text here).
    static func == (a: ExactText, b: ExactText) -> Bool { a.utf8 == b.utf8 }

    /// Calls `body` with the text's UTF-8 bytes.
    @inline(__always)
    func withUTF8<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        utf8.withUnsafeBytes(body)
    }

    /// Whether `bytes` are exactly this text's UTF-8.
    @inline(__always)
    func equals(bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count == utf8.count && utf8.withUnsafeBytes { $0.elementsEqual(bytes) }
    }

    /// Byte equality. With equal UTF-8 lengths and an ASCII side, Swift's `==` (a `memcmp`
    /// with a fast path for identical small strings) is exact: no other text of that length
    /// is canonically equivalent to ASCII.
    @inline(__always)
    func equals(_ other: String) -> Bool {
        guard other.utf8.count == utf8.count else { return false }
        return isASCII ? other == string : other.utf8.elementsEqual(string.utf8)
    }

    enum Anchor { case start, end, anywhere }

    /// JavaScript's `startsWith`, `endsWith` or `includes` with this text as the argument,
    /// on UTF-8 bytes (equivalent to code units for well-formed strings).
    func occurs(in haystack: String, at anchor: Anchor) -> Bool {
        guard !utf8.isEmpty else { return true }
        guard haystack.utf8.count >= utf8.count else { return false }
        let found = haystack.utf8.withContiguousStorageIfAvailable { h in search(in: h, at: anchor) }
        return found ?? search(in: Array(haystack.utf8), at: anchor)
    }

    private func search<H: RandomAccessCollection<UInt8>>(in haystack: H, at anchor: Anchor) -> Bool where H.Index == Int {
        let needle = utf8
        let last = haystack.endIndex - needle.count
        func matches(at offset: Int) -> Bool {
            var i = offset
            for byte in needle {
                if haystack[i] != byte { return false }
                i += 1
            }
            return true
        }
        switch anchor {
        case .start: return matches(at: haystack.startIndex)
        case .end: return matches(at: last)
        case .anywhere: return finder.occurs(in: haystack)
        }
    }
}

/// Knuth–Morris–Pratt search: time linear in the haystack plus the needle, whatever both
/// hold. A trigger's text comes from a shared file and the event from anyone, so a naive scan
/// (a needle of 16,000 `a`s over a field of 900 KB of `a`s compares 10^10 bytes) is an attack.
struct SubstringSearch: Sendable {
    private let needle: [UInt8]
    /// `border[i]`: the length of the longest proper prefix of `needle[...i]` that is also its suffix.
    private let border: [Int]

    init(_ needle: [UInt8]) {
        self.needle = needle
        var border = [Int](repeating: 0, count: needle.count)
        var length = 0
        var i = 1
        while i < needle.count {
            if needle[i] == needle[length] {
                length += 1
                border[i] = length
                i += 1
            } else if length > 0 {
                length = border[length - 1]
            } else {
                i += 1
            }
        }
        self.border = border
    }

    func occurs<H: RandomAccessCollection<UInt8>>(in haystack: H) -> Bool where H.Index == Int {
        guard !needle.isEmpty else { return true }
        let first = needle[0]
        var matched = 0
        var i = haystack.startIndex
        while i < haystack.endIndex {
            let byte = haystack[i]
            if matched == 0 {
                // Nothing matched yet: skip quickly to the needle's first byte.
                if byte != first {
                    i += 1
                    continue
                }
                matched = 1
            } else if byte == needle[matched] {
                matched += 1
            } else {
                matched = border[matched - 1]
                continue  // the same byte is tried against the shorter match
            }
            if matched == needle.count { return true }
            i += 1
        }
        return false
    }
}
