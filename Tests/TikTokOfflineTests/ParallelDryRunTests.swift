import ConversionEngine
import Foundation
import MappingKit
import Testing

@testable import TikTokOffline

/// `--threads`: batches processed on several cores give the one-thread output byte for byte, in
/// input order, with the same totals and match quality.
@Suite struct ParallelDryRunTests {
    /// The corpus three times over with unusable lines, oversized events and blank lines among
    /// the events, so that errors fall inside, between and across batches.
    static let input: [UInt8] = {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/corpus/segment-events-2000.ndjson")
        let lines = (try? String(contentsOf: corpus, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        var out: [String] = []
        for copy in 0..<3 {
            for (i, line) in lines.enumerated() {
                out.append(line)
                switch (i + copy * 7) % 97 {
                case 0: out.append("{not json")
                case 13: out.append("")
                case 41: out.append(#"{"type":"track","pad":""# + String(repeating: "x", count: 1_100_000) + #""}"#)
                default: break
                }
            }
        }
        return Array(out.joined(separator: "\n").utf8)
    }()

    @Test(arguments: [2, 3, 8])
    func severalThreadsGiveTheOneThreadOutput(threads: Int) async throws {
        let one = try await DryRunHarness.output(Self.input, threads: 1)
        let many = try await DryRunHarness.output(Self.input, threads: threads)
        #expect(one.summary.received > 6_000 && one.summary.badLines > 100)
        #expect(many.text == one.text, "byte for byte, in input order")
        #expect(many.summary == one.summary)
        #expect(many.quality.json == one.quality.json)
    }

    @Test func traceRunsOnOneThread() async throws {
        let runner = DryRunner(
            engine: try TikTokDestination.engine(settings: TikTokSettings(eventSetID: "s"), enableAll: true, sink: DryRunSink()),
            destination: TikTokOfflineDestination(settings: TikTokSettings(eventSetID: "s")), trace: true, threads: 4)
        #expect(runner.threads == 1, "stage traces are written as each stage runs, one batch at a time")
    }
}
