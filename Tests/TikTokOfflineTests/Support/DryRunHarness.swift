import ConversionEngine
import Foundation
import JSONKit
import MappingKit
import Testing

@testable import TikTokOffline

/// Runs the dry-run over in-memory input through real files, as the command does.
enum DryRunHarness {
    static func run(
        _ input: [UInt8], settings: TikTokSettings = TikTokSettings(eventSetID: "set-1", partnerName: "Segment", staleEvents: .off),
        trace: Bool = false, enableAll: Bool = true
    ) async throws -> (lines: [JSON], text: String, summary: Ingest.Totals) {
        let (text, summary, _) = try await output(input, settings: settings, trace: trace, enableAll: enableAll)
        let lines = try text.split(separator: "\n").map { try JSON.parse(String($0)) }
        return (lines, text, summary)
    }

    /// The dry-run's output as text, with its totals and match quality.
    static func output(
        _ input: [UInt8], settings: TikTokSettings = TikTokSettings(eventSetID: "set-1", partnerName: "Segment", staleEvents: .off),
        trace: Bool = false, enableAll: Bool = true, threads: Int = 1
    ) async throws -> (text: String, summary: Ingest.Totals, quality: MatchQuality) {
        let directory = FileManager.default.temporaryDirectory
        let inputPath = directory.appendingPathComponent("dry-run-in-\(UUID().uuidString)").path
        let outputPath = directory.appendingPathComponent("dry-run-out-\(UUID().uuidString)").path
        try #require(FileManager.default.createFile(atPath: inputPath, contents: Data(input)))
        try #require(FileManager.default.createFile(atPath: outputPath, contents: nil))
        defer {
            try? FileManager.default.removeItem(atPath: inputPath)
            try? FileManager.default.removeItem(atPath: outputPath)
        }
        let inputFD = open(inputPath, O_RDONLY)
        let outputFD = open(outputPath, O_WRONLY)
        defer {
            close(inputFD)
            close(outputFD)
        }
        let engine = try TikTokDestination.engine(settings: settings, enableAll: enableAll, sink: DryRunSink())
        let runner = DryRunner(engine: engine, destination: TikTokOfflineDestination(settings: settings), trace: trace, threads: threads)
        var quality: MatchQuality? = MatchQuality()
        let summary = try await runner.run(input: inputFD, output: outputFD, matchQuality: &quality)
        return (try String(contentsOfFile: outputPath, encoding: .utf8), summary, quality!)
    }

    static func run(_ text: String, settings: TikTokSettings = TikTokSettings(eventSetID: "set-1", partnerName: "Segment", staleEvents: .off),
                    trace: Bool = false) async throws -> (lines: [JSON], text: String, summary: Ingest.Totals) {
        try await run(Array(text.utf8), settings: settings, trace: trace)
    }
}
