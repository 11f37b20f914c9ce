import ConversionEngine
import JSONKit
import MappingKit
import Testing

@testable import TikTokOffline

/// The 2,000-event corpus through the shipped presets (all enabled) against the reference's
/// output: every (line, mapping) pair must match, or differ only as DIFFERENCES.md explains.
@Suite struct CorpusParityTests {
    struct Outcome {
        var body: JSON?
        var error: String?
        var fields: JSONObject?
    }

    @Test func corpusMatchesTheReferenceExceptForDocumentedDifferences() async throws {
        // The corpus spans the 30 days after the vectors' clock: dated ahead of it, not stale.
        let settings = TikTokSettings(accessToken: "test-token", eventSetID: "test-event-set-id", partnerName: "Segment", maxFutureDays: 31)
        let engine = try TikTokDestination.engine(settings: settings, enableAll: true, sink: DryRunSink())
        let builder = TikTokRequestBuilder(settings: settings)
        let events = Fixtures.ndjson("corpus/segment-events-2000.ndjson")

        var batch = Batch()
        for (i, event) in events.enumerated() { try engine.route(event, line: i + 1, into: &batch) }
        let prepared = batch.records.map { $0.outcome == .pending ? $0.fields : nil }
        try await engine.process(&batch, now: Harness.now)

        var ours: [String: Outcome] = [:]
        for (record, fields) in zip(batch.records, prepared) {
            let key = "\(record.line)|\(record.mapping)"
            #expect(ours[key] == nil, "one record per line and mapping")
            switch record.outcome {
            case .sent: ours[key] = Outcome(body: builder.parsedBody(data: [record.output!], route: builder.route(for: record.fields)), fields: fields)
            case .rejected(let reason): ours[key] = Outcome(error: reason, fields: fields)
            default: Issue.record("unexpected outcome \(record.outcome) for \(key)")
            }
        }

        let explainer = DifferenceExplainer(schema: Harness.schema)
        var expectedKeys = Set<String>()
        var matched = 0
        var explained: [Int: [String]] = [:]
        for line in Fixtures.ndjson("corpus/segment-events-2000.expected.ndjson") {
            let key = "\(line["line"]!.doubleValue.map { Int($0) }!)|\(line["preset"]!.stringValue!)"
            expectedKeys.insert(key)
            guard let mine = ours[key] else {
                Issue.record("\(key): the reference fired this preset, we did not")
                continue
            }
            let referenceBody = line["body"]
            if referenceBody == mine.body || (referenceBody == nil && mine.body == nil) {
                matched += 1
                continue
            }
            guard let fields = mine.fields else {
                Issue.record("\(key): we rejected before the stages (\(mine.error ?? "?")), the reference sent a body")
                continue
            }
            let (adjusted, reasons) = explainer.expected(referenceBody: referenceBody, fields: fields)
            if adjusted == mine.body, !reasons.isEmpty {
                for reason in reasons { explained[reason, default: []].append(key) }
            } else {
                Issue.record("\(key): unexplained difference\n ours: \(mine.body?.serialized() ?? mine.error ?? "-")\n reference: \(referenceBody?.serialized() ?? line["error"]?.stringValue ?? "-")")
            }
        }
        let extra = Set(ours.keys).subtracting(expectedKeys)
        #expect(extra.isEmpty, "we fired presets the reference did not: \(extra.sorted().prefix(5))")

        let differing = Set(explained.values.joined()).count
        print("corpus parity: \(ours.count) pairs, \(matched) identical, \(differing) differ as DIFFERENCES.md explains")
        for (number, keys) in explained.sorted(by: { $0.key < $1.key }) {
            print("  DIFFERENCES \(number): \(keys.count) pairs, e.g. \(keys.prefix(3).joined(separator: ", "))")
        }
        #expect(matched + differing == ours.count)
    }
}
