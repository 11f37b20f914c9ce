import CZlib
import Delivery

/// How the outbox keeps the messages of one `enqueue`: one row per batch instead of one per
/// message, so storing, claiming and confirming a thousand events costs a few row operations
/// instead of thousands.
///
/// A stored batch holds two blobs: `entries`, one fixed header per message (key length,
/// payload length) followed by the keys, and `payloads`, the payloads back to back. Confirming
/// reads only `entries`; claiming reads both. A third, `sums`, holds each payload's CRC-32
/// (zlib's, four bytes little-endian a message): SQLite checks its pages' structure, not the
/// bytes in them, so a flipped byte inside a payload is found only by its sum. Batches stored
/// before sums existed have none (NULL) and are read as before.
///
/// A message's id is its batch's row id shifted left by ``positionBits``, plus its position in
/// the batch: ids grow in enqueue order and are never reused (the row ids come from
/// `AUTOINCREMENT`).
enum StoredBatch {
    /// Bits of a message id that hold its position in its batch.
    static let positionBits = 12
    /// Most messages in one stored batch: every position fits in ``positionBits``.
    static let maxCount = 1 << positionBits
    /// A batch's payloads stay under this size; a larger `enqueue` is stored as several batches.
    static let maxPayloadBytes = 16 << 20

    static func messageID(batch: Int64, position: Int) -> Int64 { batch << Int64(positionBits) | Int64(position) }
    static func batch(of id: Int64) -> Int64 { id >> Int64(positionBits) }
    static func position(of id: Int64) -> Int { Int(id & Int64(maxCount - 1)) }

    /// The three blobs for `messages` (all of them; the caller has already cut them to size).
    static func encode(_ messages: some Collection<OutboxMessage>) -> (entries: [UInt8], payloads: [UInt8], sums: [UInt8]) {
        var entries: [UInt8] = []
        var payloads: [UInt8] = []
        var sums: [UInt8] = []
        sums.reserveCapacity(messages.count * 4)
        entries.reserveCapacity(messages.count * 8 + messages.reduce(0) { $0 + $1.key.utf8.count })
        payloads.reserveCapacity(messages.reduce(0) { $0 + $1.payload.count })
        for message in messages {
            append(UInt32(message.key.utf8.count), to: &entries)
            append(UInt32(message.payload.count), to: &entries)
            append(message.payload.withUnsafeBytes(checksum), to: &sums)
        }
        for message in messages {
            entries.append(contentsOf: message.key.utf8)
            payloads.append(contentsOf: message.payload)
        }
        return (entries, payloads, sums)
    }

    /// The CRC-32 of a payload.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
        return UInt32(crc32(0, base.assumingMemoryBound(to: Bytef.self), uInt(bytes.count)))
    }

    /// Whether the payload at `position` matches its sum in `sums` (a batch's `sums` blob);
    /// true when the batch has no sums (stored before they existed).
    static func isIntact(_ payload: UnsafeRawBufferPointer, position: Int, sums: UnsafeRawBufferPointer) -> Bool {
        guard !sums.isEmpty else { return true }
        guard sums.count >= (position + 1) * 4 else { return false }
        let stored = UInt32(littleEndian: sums.loadUnaligned(fromByteOffset: position * 4, as: UInt32.self))
        return stored == checksum(payload)
    }

    /// The reason a damaged message is dead-lettered with, instead of being sent.
    static let damagedReason = "damaged in the outbox: its stored bytes no longer match their checksum (not sent)"

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// The `entries` blob of a stored batch, read: where each message's key and payload are.
    struct Entries {
        struct Entry {
            var keyStart: Int
            var keyCount: Int
            var payloadStart: Int
            var payloadCount: Int
        }

        let entries: [Entry]
        private let bytes: UnsafeRawBufferPointer

        /// Reads `count` messages from `bytes` (valid while this value is used); nil when the
        /// blob is not what ``encode(_:)`` wrote.
        init?(_ bytes: UnsafeRawBufferPointer, count: Int) {
            guard count >= 0, bytes.count >= count * 8 else { return nil }
            var entries: [Entry] = []
            entries.reserveCapacity(count)
            var keyStart = count * 8
            var payloadStart = 0
            for i in 0..<count {
                let keyCount = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt32.self)))
                let payloadCount = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8 + 4, as: UInt32.self)))
                entries.append(Entry(keyStart: keyStart, keyCount: keyCount, payloadStart: payloadStart, payloadCount: payloadCount))
                keyStart += keyCount
                payloadStart += payloadCount
            }
            guard keyStart == bytes.count else { return nil }
            self.entries = entries
            self.bytes = bytes
        }

        var count: Int { entries.count }

        /// Total payload bytes.
        var payloadBytes: Int { entries.last.map { $0.payloadStart + $0.payloadCount } ?? 0 }

        /// The key of `position` in place (valid as long as the blob is).
        func keyBytes(_ position: Int) -> UnsafeRawBufferPointer {
            let entry = entries[position]
            return UnsafeRawBufferPointer(rebasing: bytes[entry.keyStart..<entry.keyStart + entry.keyCount])
        }

        func key(_ position: Int) -> String { String(decoding: keyBytes(position), as: UTF8.self) }

        /// The payload of `position`, copied out of `payloads`: the batch's other blob, already
        /// checked to hold ``payloadBytes`` bytes.
        func payload(_ position: Int, in payloads: UnsafeRawBufferPointer) -> [UInt8] {
            Array(payloadBytes(position, in: payloads))
        }

        /// The payload of `position` in place.
        func payloadBytes(_ position: Int, in payloads: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
            let entry = entries[position]
            precondition(entry.payloadStart + entry.payloadCount <= payloads.count, "payloads not checked against the entries")
            return UnsafeRawBufferPointer(rebasing: payloads[entry.payloadStart..<entry.payloadStart + entry.payloadCount])
        }
    }

    /// Splits `messages` into runs that fit one stored batch.
    static func runs(_ messages: [OutboxMessage]) -> [ArraySlice<OutboxMessage>] {
        var runs: [ArraySlice<OutboxMessage>] = []
        var start = messages.startIndex
        var bytes = 0
        for index in messages.indices {
            let size = messages[index].payload.count
            if index > start, index - start >= maxCount || bytes + size > maxPayloadBytes {
                runs.append(messages[start..<index])
                start = index
                bytes = 0
            }
            bytes += size
        }
        if start < messages.endIndex { runs.append(messages[start...]) }
        return runs
    }
}
