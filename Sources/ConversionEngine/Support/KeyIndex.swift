/// Finds a key's position in a fixed list of keys, fast when keys arrive in list order (as a
/// compiled mapping's output does): the position after the previous hit is tried first.
package struct KeyIndex: Sendable {
    package let keys: [String]
    private let positions: [String: Int]

    package init(_ keys: [String]) {
        self.keys = keys
        var positions: [String: Int] = [:]
        for (i, key) in keys.enumerated() where positions[key] == nil { positions[key] = i }
        self.positions = positions
    }

    /// The position of `key`, or `nil`. `hint` is the position to try first; it is advanced
    /// past each hit.
    @inline(__always)
    package func position(of key: String, hint: inout Int) -> Int? {
        if hint < keys.count, keys[hint] == key {
            hint += 1
            return hint - 1
        }
        guard let found = positions[key] else { return nil }
        hint = found + 1
        return found
    }
}
