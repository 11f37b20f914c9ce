import ConversionEngine
import JSONKit
import Logging
import MappingKit

@testable import TikTokOffline

/// The shipped actions and a pipeline over them, for driving records through the real stages.
struct Harness {
    static let actions: ActionCatalog = try! ShippedPresets.actions()
    static let schema: ActionSchema = actions["reportOfflineEvent"]!
    /// The vectors' fixed clock (2024-01-08T13:52:50Z).
    static let now: Int64 = 1_704_721_970

    let settings: TikTokSettings
    let pipeline: Pipeline

    init(settings: TikTokSettings = TikTokSettings(accessToken: "test-token", eventSetID: "test-event-set-id", partnerName: "Segment")) {
        self.settings = settings
        let registry = TikTokStages.registry(settings: settings, actions: Self.actions, sink: DryRunSink())
        pipeline = try! Pipeline(settings.pipeline ?? .default, registry: registry)
    }

    var builder: TikTokRequestBuilder { TikTokRequestBuilder(settings: settings) }

    /// Runs prepared fields through every stage.
    func run(fields: JSONObject, action: String = "reportOfflineEvent", event: JSON = [:]) async throws -> Record {
        var batch = Batch(records: [Record(line: 1, mapping: "test", action: action, event: event, fields: fields)])
        try await pipeline.run(&batch, now: Self.now, logger: Logger(label: "test"))
        return batch.records[0]
    }

    /// The body TikTok would receive for a sent record, parsed.
    func body(of record: Record) -> JSON? {
        guard record.outcome == .sent, let element = record.output else { return nil }
        return builder.parsedBody(data: [element], route: builder.route(for: record.fields))
    }

    /// The mapping a vector describes: the action's defaults overlaid with its overrides.
    static func mapping(defaults: Bool, overrides: JSON) throws -> Mapping {
        var source = defaults ? schema.defaultMapping : JSONObject()
        for (key, value) in overrides.objectValue ?? [:] { source[key] = value }
        return try Mapping(.object(source))
    }
}

extension TikTokRequestBuilder {
    /// ``writeBody(serializedData:route:into:)``'s bytes, parsed.
    func parsedBody(data: [[UInt8]], route: Route) -> JSON {
        var body: [UInt8] = []
        writeBody(serializedData: data, route: route, into: &body)
        return body.withUnsafeBytes { try! JSON.parse(bytes: $0) }
    }
}

extension Record {
    /// The `data` element the send stage wrote, parsed.
    var element: JSON? {
        output.map { text in text.withUnsafeBytes { try! JSON.parse(bytes: $0) } }
    }
}
