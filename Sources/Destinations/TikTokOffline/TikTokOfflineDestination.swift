import AsyncHTTPClient
import ConversionEngine
import Delivery
import JSONKit
import MappingKit
import TikTokEventsAPI

/// TikTok Offline Conversions as a ``Destination``: Segment's `reportOfflineEvent` action and
/// its 15 presets, the built-in stages, the fused planner, one outbox queue per route, and
/// TikTok's Events API as the transport.
///
/// ```swift
/// let destination = TikTokOfflineDestination(settings: settings)
/// let engine = try destination.engine(sink: DryRunSink())
/// ```
public struct TikTokOfflineDestination: Destination {
    public static let name = "tiktok-offline"
    public var name: String { Self.name }

    public let settings: TikTokSettings
    public let builder: TikTokRequestBuilder
    /// Where and how delivery sends (``transport()``).
    public var endpoint: TikTokEndpoint
    public var httpClient: HTTPClient
    public var timeout: Duration

    public init(settings: TikTokSettings, endpoint: TikTokEndpoint = .production, httpClient: HTTPClient = .shared, timeout: Duration = .seconds(30)) {
        self.settings = settings
        self.builder = TikTokRequestBuilder(settings: settings)
        self.endpoint = endpoint
        self.httpClient = httpClient
        self.timeout = timeout
    }

    public func actions() throws(EngineError) -> ActionCatalog {
        do {
            return try ShippedPresets.actions()
        } catch {
            throw EngineError("\(error)")
        }
    }

    public var presets: MappingSource { ShippedPresets.source }

    public func stages(actions: ActionCatalog, sink: any EventSink) -> StageRegistry {
        TikTokStages.registry(settings: settings, actions: actions, sink: sink)
    }

    /// The settings' pipeline, or consent → normalize → hash → validate → send.
    public var defaultPipeline: PipelineDefinition { settings.pipeline ?? .default }

    public var planner: (any FusedPlanning)? { TikTokFusedPlanner() }

    public var addressing: any RecordAddressing { TikTokAddressing(builder: builder) }

    /// Queues of the settings' partner (``TikTokRoute/route(forDestination:)``): any event set,
    /// source and test code.
    public func owns(queue: String) -> Bool { route?.route(forDestination: queue) != nil }

    /// The Events API client for the settings' token; nil without a token and an event set id.
    public func transport() -> (any BatchTransport)? {
        route.map { TikTokEventsClient(endpoint: endpoint, routes: [$0], httpClient: httpClient, timeout: timeout) }
    }

    /// The settings' route: their token, partner and event set. Nil without a token or an event set id.
    public var route: TikTokRoute? {
        guard let token = settings.accessToken, !token.isEmpty, let eventSetID = settings.eventSetID, !eventSetID.isEmpty else { return nil }
        return TikTokRoute(eventSetID: eventSetID, partnerName: settings.partnerName, accessToken: token, testEventCode: settings.testEventCode)
    }

    /// The request body for the record alone, on its route (its mapping's event set, source and test code).
    public func writePreview(of record: borrowing Record, into out: inout [UInt8]) {
        builder.writeBody(
            serializedData: CollectionOfOne(record.output ?? Array("null".utf8)), route: builder.route(for: record.fields), into: &out)
    }

    public func lint(_ file: MappingFile) -> [Diagnostic] { TikTokDestination.lint(file) }
}
