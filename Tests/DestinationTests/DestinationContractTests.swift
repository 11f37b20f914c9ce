import ConversionEngine
import DestinationTesting
import Foundation
import JSONKit
import ProcessTesting
import Testing
import TikTokConversions
import TikTokOffline

/// Both the shipped destination and one written in this test target only keep every promise
/// of ``Destination`` (``DestinationContract``).
@Suite("Destination contract")
struct DestinationContractTests {
    enum Kind: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case tiktokOffline = "tiktok-offline", tiktokConversions = "tiktok-conversions", echo
        var testDescription: String { rawValue }
    }

    /// 400 events of the shared corpus: every shipped preset fires for some of them.
    static let corpusEvents: [JSON] = {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../TikTokOfflineTests/Fixtures/corpus/segment-events-2000.ndjson").path
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").prefix(400).compactMap { try? JSON.parse(String($0)) }
    }()

    static func destination(_ kind: Kind, file: String) -> any Destination {
        switch kind {
        case .tiktokOffline:
            TikTokOfflineDestination(settings: TikTokSettings(accessToken: "test-token", eventSetID: "test-event-set-id", staleEvents: .off))
        case .tiktokConversions:
            TikTokConversionsDestination(settings: TikTokConversionsSettings(accessToken: "test-token", pixelCode: "test-pixel-code"))
        case .echo:
            EchoDestination(file: file)
        }
    }

    @Test(arguments: Kind.allCases, DestinationContract.checks)
    func keepsThePromise(_ kind: Kind, _ check: DestinationContract.Check) async throws {
        #expect(Self.corpusEvents.count == 400)
        try await check.run(Self.destination(kind, file: "/dev/null"), events: Self.corpusEvents)
    }

    /// The contract can fail: a destination whose addressing puts records in a queue it does
    /// not own is caught.
    @Test func aDestinationAddressingAQueueItDoesNotOwnFails() async throws {
        let check = try #require(DestinationContract.checks.first { $0.name.contains("addressed") })
        await #expect(throws: DestinationContractViolation.self) {
            try await check.run(Disowning(), events: Self.corpusEvents)
        }
    }

    struct Disowning: Destination {
        let echo = EchoDestination(file: "/dev/null")
        var name: String { "disowning" }
        func actions() throws(EngineError) -> ActionCatalog { try echo.actions() }
        var presets: MappingSource { echo.presets }
        func stages(actions: ActionCatalog, sink: any EventSink) -> StageRegistry { echo.stages(actions: actions, sink: sink) }
        var defaultPipeline: PipelineDefinition { echo.defaultPipeline }
        var addressing: any RecordAddressing { echo.addressing }
        func owns(queue: String) -> Bool { false }
        func writePreview(of record: borrowing Record, into out: inout [UInt8]) { echo.writePreview(of: record, into: &out) }
    }
}
