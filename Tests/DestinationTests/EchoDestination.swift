import ConversionEngine
import Delivery
import Foundation
import JSONKit
import MappingKit
import Synchronization

/// A destination written against the public API only, as a user would write one: it "sends"
/// each record by appending its prepared output, one line each, to a file. One action (`echo`),
/// one preset, one stage; queues are `echo:<channel>`, keys the event's `id`.
struct EchoDestination: Destination {
    let file: String

    var name: String { "echo" }

    static let actionSchema = """
        description: Echo each event's name and id
        actions: [echo]
        fields:
          event:
            type: string
            required: true
          id:
            type: string
            default: !path $.messageId
          channel:
            type: string
            default: !path $.properties.channel
        """

    static let preset = """
        name: Echo Tracks
        trigger: 'type = "track"'
        action: echo
        defaults: true
        mapping:
          event: !path $.event
        tests:
          - name: echoes a track
            event: {type: track, event: Signed Up, messageId: m-1, properties: {channel: web}}
            expect: {event: Signed Up, id: m-1, channel: web}
        """

    func actions() throws(EngineError) -> ActionCatalog {
        do {
            return ActionCatalog([try ActionSchema(yaml: Self.actionSchema)])
        } catch {
            throw EngineError("\(error)")
        }
    }

    var presets: MappingSource { .embedded([(name: "echo.yaml", contents: Self.preset)]) }

    func stages(actions: ActionCatalog, sink: any EventSink) -> StageRegistry {
        var registry = StageRegistry()
        try! registry.registerBuiltIn(EchoSendStage(sink: sink), as: "send")
        return registry
    }

    var defaultPipeline: PipelineDefinition { PipelineDefinition(stages: ["send"]) }

    var addressing: any RecordAddressing { EchoAddressing() }

    func owns(queue: String) -> Bool { queue.hasPrefix("echo:") }

    func transport() -> (any BatchTransport)? { EchoTransport(file: file) }

    func writePreview(of record: borrowing Record, into out: inout [UInt8]) {
        out.append(contentsOf: #"{"echo":"#.utf8)
        out.append(contentsOf: record.output ?? Array("null".utf8))
        out.append(UInt8(ascii: "}"))
    }
}

/// Writes each pending record's fields as its output, with an id when the sink keys by id.
struct EchoSendStage: Stage {
    let sink: any EventSink
    var eventNeeds: EventNeeds { .nothing }

    func process(_ batch: inout Batch, context: StageContext) async throws {
        let needsIDs = sink.needsEventIDs
        batch.forEachPending { record in
            if needsIDs && record.fields["id"]?.stringValue == nil { record.fields["id"] = .string(UUID().uuidString) }
            record.output = Array(JSON.object(record.fields).serialized().utf8)
        }
        try await sink.deliver(&batch, addressing: EchoAddressing(), context: context)
    }
}

struct EchoAddressing: RecordAddressing {
    func groups(of batch: borrowing Batch) -> [RecordGroup] {
        var groups: [RecordGroup] = []
        for (index, record) in batch.records.enumerated() where record.isPending && record.output != nil {
            guard let id = record.fields["id"]?.stringValue else { continue }
            let queue = "echo:" + (record.fields["channel"]?.stringValue ?? "main")
            if let group = groups.firstIndex(where: { $0.queue == queue }) {
                groups[group].records.append(index)
                groups[group].keys.append(id)
            } else {
                groups.append(RecordGroup(queue: queue, records: [index], keys: [id]))
            }
        }
        return groups
    }
}

/// Appends every payload it is given to a file, a line each, and takes them all.
struct EchoTransport: BatchTransport {
    let file: String
    private static let lock = Mutex(())

    func send(_ entries: ArraySlice<OutboxEntry>, destination: String) async -> TransportOutcome {
        Self.lock.withLock { _ in
            var text = Data()
            for entry in entries {
                text.append(contentsOf: entry.payload)
                text.append(UInt8(ascii: "\n"))
            }
            if let handle = FileHandle(forWritingAtPath: file) {
                handle.seekToEndOfFile()
                handle.write(text)
                try? handle.close()
            } else {
                _ = FileManager.default.createFile(atPath: file, contents: text)
            }
        }
        return .accepted(receipt: nil)
    }

    func canSend(to destination: String) -> Bool { destination.hasPrefix("echo:") }
}
