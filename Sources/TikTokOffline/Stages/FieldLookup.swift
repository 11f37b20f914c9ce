import MappingKit

extension JSONObject {
    /// The position of `key`, comparing at `guess` first and leaving `guess` at the position
    /// found: records of one batch hold their fields in the same order, so a stage that keeps
    /// one guess per field across records rarely scans.
    func index(forKey key: String, guess: inout Int) -> Int? {
        if guess < count, keys[guess] == key { return guess }
        guard let found = index(forKey: key) else { return nil }
        guess = found
        return found
    }
}
