/// A batch of events as raw JSON text, copied together into one buffer so that another task
/// can parse them: what every input source hands to ``Ingest``.
///
/// Each entry has a number: its position in the source (a line number for NDJSON, a position in
/// the request for HTTP), counted from 1. The numbers come back on the records and rejections,
/// so they must grow through a batch. An entry over the size limit, or one its source could not
/// read (a malformed CSV row), keeps its number but no bytes; ``Ingest`` reports it as refused.
public struct RawEvents: Sendable {
    public struct Entry: Sendable, Hashable {
        public var number: Int
        /// Where the event's bytes are in ``RawEvents/storage``; nil for an event over the size limit.
        public var bytes: Range<Int>?
        /// The event's size in bytes.
        public var size: Int
        /// Why the source could not read this event (nil for one over the size limit).
        public var problem: String?
    }

    public private(set) var storage: [UInt8] = []
    public private(set) var entries: [Entry] = []

    /// - Parameters: `count` and `bytes` are reserved up front, so a batch of a known size is not regrown.
    public init(reservingCount count: Int = 0, bytes: Int = 0) {
        entries.reserveCapacity(count)
        storage.reserveCapacity(bytes)
    }

    public var count: Int { entries.count }

    /// Removes every event, keeping the storage for the next batch.
    public mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
    }
    public var isEmpty: Bool { entries.isEmpty }

    /// Appends one event's text.
    public mutating func append(number: Int, _ bytes: UnsafeRawBufferPointer) {
        let start = storage.count
        // As typed bytes, so that the append is one copy rather than a loop over a raw buffer.
        storage.append(contentsOf: bytes.assumingMemoryBound(to: UInt8.self))
        entries.append(Entry(number: number, bytes: start..<storage.count, size: bytes.count))
    }

    /// Appends one event's text.
    public mutating func append(number: Int, _ bytes: some Collection<UInt8>) {
        let start = storage.count
        storage.append(contentsOf: bytes)
        entries.append(Entry(number: number, bytes: start..<storage.count, size: bytes.count))
    }

    /// Records an event that was too large to keep: ``Ingest`` refuses it with its size.
    public mutating func appendOversize(number: Int, size: Int) {
        entries.append(Entry(number: number, bytes: nil, size: size))
    }

    /// Records an event its source could not read, and why (no personal data in `reason`).
    public mutating func appendRefused(number: Int, reason: String) {
        entries.append(Entry(number: number, bytes: nil, size: 0, problem: reason))
    }

    /// Appends every event of `other`, numbered on from `firstNumber`; returns the numbers they got.
    mutating func append(_ other: RawEvents, numberingFrom firstNumber: Int) -> Range<Int> {
        let shift = storage.count
        storage.append(contentsOf: other.storage)
        for (offset, entry) in other.entries.enumerated() {
            entries.append(Entry(
                number: firstNumber + offset,
                bytes: entry.bytes.map { $0.lowerBound + shift..<$0.upperBound + shift },
                size: entry.size, problem: entry.problem))
        }
        return firstNumber..<firstNumber + other.count
    }
}
