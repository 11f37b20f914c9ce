extension StringProtocol {
    /// The text without any of `characters` at either end (Foundation's
    /// `trimmingCharacters(in:)` without Foundation): `" a b\t".trimming(" \t")` is `"a b"`.
    public func trimming(_ characters: String) -> SubSequence {
        var text = self[...]
        while let first = text.first, characters.contains(first) { text = text.dropFirst() }
        while let last = text.last, characters.contains(last) { text = text.dropLast() }
        return text
    }
}
