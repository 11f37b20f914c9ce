import ConversionEngine
import Delivery
import JSONKit
import MappingKit
import Synchronization

/// The promises of ``Destination`` as checks any destination runs against itself, over events
/// its tests supply: the shipped destinations pass them, and so must yours.
///
/// Each check builds engines from the destination and throws a ``DestinationContractViolation``
/// naming what did not hold. It needs no test framework; with Swift Testing:
///
/// ```swift
/// @Test(arguments: DestinationContract.checks)
/// func keepsTheDestinationContract(_ check: DestinationContract.Check) async throws {
///     try await check.run(MyDestination(settings: settings), events: sampleEvents)
/// }
/// ```
///
/// `events` should make most mappings fire (the contract fails when no record is prepared).
public enum DestinationContract {
    public static let checks: [Check] = [
        Check("its name is valid", nameIsValid),
        Check("every preset compiles against its actions and passes its own tests", presetsCompileAndPassTheirTests),
        Check("its stages hold its default pipeline", stagesHoldTheDefaultPipeline),
        Check("every prepared record is addressed to a queue it owns, under a stable key", preparedRecordsAreAddressed),
        Check("its fused plans prepare what its stages prepare", fusedPlansMatchTheStages),
        Check("its preview of every sent record is JSON", previewsAreJSON),
        Check("its transport sends every queue it addresses", transportSendsItsQueues),
    ]

    /// One promise, checked on a destination over sample events.
    public struct Check: Sendable, CustomStringConvertible {
        public let name: String
        let body: @Sendable (any Destination, [JSON]) async throws -> Void

        init(_ name: String, _ body: @escaping @Sendable (any Destination, [JSON]) async throws -> Void) {
            self.name = name
            self.body = body
        }

        public var description: String { name }

        /// Runs the check; throws ``DestinationContractViolation`` when the destination breaks
        /// the promise (and whatever it throws when it cannot be built).
        public func run(_ destination: any Destination, events: [JSON]) async throws {
            try await body(destination, events)
        }
    }

    // MARK: The checks

    static func nameIsValid(_ destination: any Destination, _ events: [JSON]) async throws {
        try expect(DestinationName.isValid(destination.name), "'\(destination.name)' is lowercase letters, digits and '-'")
    }

    static func presetsCompileAndPassTheirTests(_ destination: any Destination, _ events: [JSON]) async throws {
        let actions = try destination.actions()
        try expect(!actions.names.isEmpty, "it has at least one action")
        for file in try destination.presets.load() {
            let compiled: Engine.CompiledMapping
            do {
                compiled = try Engine.compile(file, actions: actions)
            } catch {
                throw DestinationContractViolation(promise: "preset '\(file.name)' compiles: \(error)")
            }
            for result in file.runTests(with: compiled.mapping) where !result.passed {
                throw DestinationContractViolation(promise: "preset '\(file.name)' passes its test '\(result.name)': \(result.failures.joined(separator: "; "))")
            }
        }
    }

    static func stagesHoldTheDefaultPipeline(_ destination: any Destination, _ events: [JSON]) async throws {
        let registry = destination.stages(actions: try destination.actions(), sink: DryRunSink())
        for stage in destination.defaultPipeline.stages {
            try expect(registry.names.contains(stage), "its registry holds '\(stage)' of its default pipeline")
        }
        do {
            _ = try Pipeline(destination.defaultPipeline, registry: registry)
        } catch {
            throw DestinationContractViolation(promise: "its default pipeline builds: \(error)")
        }
    }

    static func preparedRecordsAreAddressed(_ destination: any Destination, _ events: [JSON]) async throws {
        let first = try await addressedRecords(destination, events)
        try expect(!first.isEmpty, "the sample events prepare at least one record")
        for (_, address) in first {
            try expect(destination.owns(queue: address.queue), "it owns the queue '\(address.queue)' it addresses")
            try expect(!address.key.isEmpty, "keys are not empty")
        }
        let again = try await addressedRecords(destination, events)
        try expect(first.map(\.address) == again.map(\.address), "the same events get the same queues and keys")
    }

    static func fusedPlansMatchTheStages(_ destination: any Destination, _ events: [JSON]) async throws {
        guard destination.planner != nil else { return }
        let fused = try await outputs(destination, events, fused: true)
        let general = try await outputs(destination, events, fused: false)
        try expect(fused.count == general.count, "fused and general runs settle as many records (\(fused.count), \(general.count))")
        for (a, b) in zip(fused, general) where a != b {
            throw DestinationContractViolation(promise: "record \(a.line) of '\(a.mapping)' ends the same fused and not: \(a.text) against \(b.text)")
        }
    }

    static func previewsAreJSON(_ destination: any Destination, _ events: [JSON]) async throws {
        let engine = try destination.engine(enableAll: true, sink: DryRunSink())
        var shown = 0
        for record in try await engine.process(events: events) where record.outcome == .sent {
            var body: [UInt8] = []
            destination.writePreview(of: record, into: &body)
            do {
                _ = try body.withUnsafeBytes { try JSON.parse(bytes: $0) }
            } catch {
                throw DestinationContractViolation(promise: "the preview of record \(record.line) of '\(record.mapping)' is JSON: \(error)")
            }
            shown += 1
        }
        try expect(shown > 0, "the sample events send at least one record")
    }

    static func transportSendsItsQueues(_ destination: any Destination, _ events: [JSON]) async throws {
        guard let transport = destination.transport() else { return }
        for queue in Set(try await addressedRecords(destination, events).map(\.address.queue)) {
            try expect(transport.canSend(to: queue), "its transport sends the queue '\(queue)'")
        }
    }

    // MARK: Support

    /// What a sink that keeps records by key receives: each prepared record's address, in order.
    private static func addressedRecords(_ destination: any Destination, _ events: [JSON]) async throws -> [(line: Int, address: Address)] {
        let sink = AddressRecorder()
        let engine = try destination.engine(enableAll: true, sink: sink)
        _ = try await Ingest(engine: engine).process(rawEvents(events))
        return sink.addresses
    }

    /// Every record's settled form, read from raw events (so fused plans take part when `fused`).
    private static func outputs(_ destination: any Destination, _ events: [JSON], fused: Bool) async throws -> [Settled] {
        let engine = try destination.engine(enableAll: true, fused: fused, sink: DryRunSink())
        let ingested = try await Ingest(engine: engine).process(rawEvents(events))
        return ingested.batch.records.map { record in
            Settled(line: record.line, mapping: record.mapping, outcome: "\(record.outcome)",
                    text: record.output.map { String(decoding: $0, as: UTF8.self) } ?? "")
        }
    }

    private static func rawEvents(_ events: [JSON]) -> RawEvents {
        var raw = RawEvents()
        for (i, event) in events.enumerated() { raw.append(number: i + 1, Array(event.serialized().utf8)) }
        return raw
    }

    struct Address: Hashable, Sendable {
        var queue: String
        var key: String
    }

    struct Settled: Equatable {
        var line: Int
        var mapping: String
        var outcome: String
        var text: String
    }

    /// Keeps records by key, as an outbox does, and records where each went.
    final class AddressRecorder: EventSink {
        private let recorded = Mutex<[(line: Int, address: Address)]>([])
        var addresses: [(line: Int, address: Address)] { recorded.withLock { $0 } }
        var needsEventIDs: Bool { true }

        func deliver(_ batch: inout Batch, addressing: any RecordAddressing, context: StageContext) async throws {
            let groups = addressing.groups(of: batch)
            let lines = batch.records.map(\.line)
            recorded.withLock { recorded in
                for group in groups {
                    for (index, key) in zip(group.records, group.keys) {
                        recorded.append((lines[index], Address(queue: group.queue, key: key)))
                    }
                }
            }
            for group in groups {
                for index in group.records { batch.records[index].markSent() }
            }
        }
    }

    private static func expect(_ condition: Bool, _ promise: @autoclosure () -> String) throws {
        guard condition else { throw DestinationContractViolation(promise: promise()) }
    }
}

/// A promise of ``Destination`` that a destination did not keep, in words.
public struct DestinationContractViolation: Error, Sendable, CustomStringConvertible {
    public var promise: String
    public var description: String { "the destination contract does not hold: \(promise)" }
}
