/// The records a pipeline run works on together, in input order.
///
/// Stages loop over a batch instead of being called once per event: it keeps async hops
/// rare and lets a sender put many records in one request.
public struct Batch: Sendable {
    public var records: [Record]

    public init(records: [Record] = []) {
        self.records = records
    }

    public var count: Int { records.count }
    public var isEmpty: Bool { records.isEmpty }

    public mutating func append(_ record: consuming Record) {
        records.append(record)
    }

    /// Empties the batch, keeping its storage for the next run.
    public mutating func removeAll() {
        records.removeAll(keepingCapacity: true)
    }

    /// Calls `body` on every record still pending, in order, letting it change the record.
    @inlinable
    public mutating func forEachPending(_ body: (inout Record) throws -> Void) rethrows {
        for i in records.indices where records[i].isPending {
            try body(&records[i])
        }
    }

    /// Calls `body` on every record still pending that no fused plan prepared
    /// (``Record/isPrepared``): the records a stage the plan stands in for works on.
    @inlinable
    public mutating func forEachUnprepared(_ body: (inout Record) throws -> Void) rethrows {
        for i in records.indices where records[i].isPending && !records[i].isPrepared {
            try body(&records[i])
        }
    }

    /// Positions of the records still pending.
    public var pendingIndices: [Int] {
        records.indices.filter { records[$0].isPending }
    }
}
