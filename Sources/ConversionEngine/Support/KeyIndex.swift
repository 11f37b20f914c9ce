/// Finds a key's position in a fixed list of keys, fast when keys arrive in list order (as a
/// compiled mapping's output does, some left out): the few positions after the previous hit
/// are compared first, and only a key not among them is hashed.
package struct KeyIndex: Sendable {
    package let keys: [String]
    private let positions: [String: Int]

    package init(_ keys: [String]) {
        self.keys = keys
        var positions: [String: Int] = [:]
        for (i, key) in keys.enumerated() where positions[key] == nil { positions[key] = i }
        self.positions = positions
    }

    /// How far past the hint to compare before hashing.
    private static let lookAhead = 6

    /// The position of `key`, or `nil`. `hint` is the position to try first; it is advanced
    /// past each hit.
    @inline(__always)
    package func position(of key: String, hint: inout Int) -> Int? {
        var i = hint
        let end = min(keys.count, hint + Self.lookAhead)
        while i < end {
            if keys[i] == key {
                hint = i + 1
                return i
            }
            i += 1
        }
        guard let found = positions[key] else { return nil }
        hint = found + 1
        return found
    }
}
