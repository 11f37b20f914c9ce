import AsyncHTTPClient
import ConversionEngine
import Delivery
import JSONKit
import MappingKit
import TikTokEventsAPI

/// TikTok Conversions as a ``Destination``: Segment's `reportWebEvent` action and its 15
/// presets, web (and CRM) events for a pixel, sent to the same Events API as TikTok Offline.
///
/// ```swift
/// let destination = TikTokConversionsDestination(settings: .init(accessToken: token, pixelCode: pixel))
/// let engine = try destination.engine(sink: DryRunSink())
/// ```
public struct TikTokConversionsDestination: Destination {
    public static let name = "tiktok-conversions"
    public var name: String { Self.name }

    public let settings: TikTokConversionsSettings
    /// Where and how delivery sends (``transport()``).
    public var endpoint: TikTokEndpoint
    public var httpClient: HTTPClient
    public var timeout: Duration

    public init(
        settings: TikTokConversionsSettings, endpoint: TikTokEndpoint = .production, httpClient: HTTPClient = .shared,
        timeout: Duration = .seconds(30)
    ) {
        self.settings = settings
        self.endpoint = endpoint
        self.httpClient = httpClient
        self.timeout = timeout
    }

    public func actions() throws(EngineError) -> ActionCatalog {
        do {
            return try ConversionsPresets.folder.actions()
        } catch {
            throw EngineError("\(error)")
        }
    }

    public var presets: MappingSource { ConversionsPresets.folder.source }

    public func stages(actions: ActionCatalog, sink: any EventSink) -> StageRegistry {
        WebEventStages.registry(settings: settings, actions: actions, sink: sink)
    }

    /// The settings' pipeline, or normalize → hash → validate → send.
    public var defaultPipeline: PipelineDefinition { settings.pipeline ?? WebEventStages.pipeline }

    public var addressing: any RecordAddressing { WebEventAddressing(settings: settings) }

    /// Queues of the settings' pixel: web or CRM events, any test code.
    public func owns(queue: String) -> Bool {
        route(token: "").flatMap { $0.route(forDestination: queue) }.map { $0.eventSetID == settings.pixelCode } ?? false
    }

    /// The Events API client for the settings' token; nil without a token and a pixel code.
    public func transport() -> (any BatchTransport)? {
        settings.accessToken.flatMap { $0.isEmpty ? nil : route(token: $0) }.map {
            TikTokEventsClient(endpoint: endpoint, routes: [$0], httpClient: httpClient, timeout: timeout)
        }
    }

    /// The pixel's web route with `token`; nil without a pixel code.
    private func route(token: String) -> TikTokRoute? {
        guard let pixel = settings.pixelCode, !pixel.isEmpty else { return nil }
        return TikTokRoute(
            eventSetID: pixel, eventSource: .web, partnerName: TikTokConversionsSettings.partnerName, accessToken: token,
            testEventCode: settings.testEventCode, queuePrefix: TikTokRoute.webQueues)
    }

    /// The request body for the record alone: its event source and test code, the settings' pixel.
    public func writePreview(of record: borrowing Record, into out: inout [UInt8]) {
        let addressing = WebEventAddressing(settings: settings)
        TikTokEnvelope(
            eventSetID: settings.pixelCode ?? "", eventSource: WebEventElement.eventSource(of: record.fields),
            partnerName: TikTokConversionsSettings.partnerName, testEventCode: addressing.testEventCode(for: record.fields)
        ).write(elements: CollectionOfOne(record.output ?? Array("null".utf8)), into: &out)
    }

    /// The action and its field names must exist; a `Purchase` event name earns a warning
    /// (TikTok treats it as `CompletePayment`, and so does the validate stage).
    public func lint(_ file: MappingFile) -> [Diagnostic] {
        TikTokLint.check(file, effectiveMapping: effectiveMapping(for:)).diagnostics
    }
}
