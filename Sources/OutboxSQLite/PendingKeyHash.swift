/// What ``PendingKeyIndex`` files a pending key under: a 64-bit hash of (destination, key),
/// smaller than the text, which stays in the stored batch; a hash that is found is checked
/// against it, so two keys that share a hash are never taken for one another.
///
/// FNV-1a: stable across processes and versions (outbox files of version 3 kept these hashes).
enum PendingKeyHash {
    static func of(destination: String, key: some Collection<UInt8>) -> Int64 {
        of(seed: seed(destination: destination), key: key)
    }

    /// The hash's state after `destination`, for hashing many keys of one destination.
    static func seed(destination: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in destination.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        return (hash ^ 0xFF) &* 0x100_0000_01b3
    }

    static func of(seed: UInt64, key: some Collection<UInt8>) -> Int64 {
        var hash = seed
        for byte in key { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int64(bitPattern: hash)
    }

    static func of(destination: String, key: String) -> Int64 {
        of(destination: destination, key: key.utf8)
    }
}
