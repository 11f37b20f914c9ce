/// A string compared the way JavaScript's `===` compares: same code units, no Unicode
/// normalisation (Swift's `==` would equate "é" written two ways).
struct ExactText: Sendable {
    let string: String
    private let utf8: [UInt8]
    private let isASCII: Bool
    /// The array index the text names when it is a canonical one (`"0"`, `"12"`, not `"01"`).
    let arrayIndex: Int?

    init(_ string: String) {
        self.string = string
        utf8 = Array(string.utf8)
        isASCII = string.utf8.allSatisfy { $0 < 0x80 }
        if let index = Int(string), index >= 0, String(index) == string {
            arrayIndex = index
        } else {
            arrayIndex = nil
        }
    }

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
        let found = haystack.utf8.withContiguousStorageIfAvailable { h in Self.search(utf8, in: h, at: anchor) }
        return found ?? Self.search(utf8, in: Array(haystack.utf8), at: anchor)
    }

    private static func search<H: RandomAccessCollection<UInt8>, N: RandomAccessCollection<UInt8>>(
        _ needle: N, in haystack: H, at anchor: Anchor
    ) -> Bool where H.Index == Int, N.Index == Int {
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
        case .anywhere:
            guard let first = needle.first else { return true }
            var offset = haystack.startIndex
            while offset <= last {
                if haystack[offset] == first, matches(at: offset) { return true }
                offset += 1
            }
            return false
        }
    }
}
