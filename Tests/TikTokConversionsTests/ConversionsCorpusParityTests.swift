import ConversionEngine
import Foundation
import JSONKit
import MappingKit
import Testing
import TikTokEventsAPI

@testable import TikTokConversions

/// The 2,000-event corpus through TikTok Conversions' presets (all enabled) against Segment's
/// own output: every (line, preset) pair must match, or differ only as
/// docs/differences-from-segment.md says for this destination.
@Suite struct ConversionsCorpusParityTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()

    static func ndjson(_ path: String) throws -> [JSON] {
        try String(contentsOfFile: directory.appendingPathComponent(path).path, encoding: .utf8)
            .split(separator: "\n").map { try JSON.parse(String($0)) }
    }

    /// Where one of our records ended.
    struct Outcome {
        var body: JSON?
        var error: String?
        /// The fields as mapped, before the stages.
        var fields: JSONObject?
    }

    @Test func corpusMatchesTheReferenceExceptForDocumentedDifferences() async throws {
        let destination = TikTokConversionsDestination(settings: .init(accessToken: "test-token", pixelCode: "test-pixel-code"))
        let engine = try destination.engine(enableAll: true, sink: DryRunSink())
        let events = try Self.ndjson("../TikTokOfflineTests/Fixtures/corpus/segment-events-2000.ndjson")
        #expect(events.count == 2_000)

        var batch = Batch()
        for (i, event) in events.enumerated() { try engine.route(event, line: i + 1, into: &batch) }
        let mapped = batch.records.map { $0.outcome == .pending ? $0.fields : nil }
        try await engine.process(&batch, now: 1_704_721_970)

        var ours: [String: Outcome] = [:]
        for (record, fields) in zip(batch.records, mapped) {
            let key = "\(record.line)|\(record.mapping)"
            #expect(ours[key] == nil, "one record per line and preset")
            switch record.outcome {
            case .sent:
                var body: [UInt8] = []
                destination.writePreview(of: record, into: &body)
                ours[key] = Outcome(body: try JSON.parse(bytes: body), fields: fields)
            case .rejected(let reason): ours[key] = Outcome(error: reason, fields: fields)
            default: Issue.record("unexpected outcome \(record.outcome) for \(key)")
            }
        }

        var expectedKeys = Set<String>()
        var matched = 0
        var explained: [String: [String]] = [:]
        for line in try Self.ndjson("Fixtures/corpus/tiktok-conversions-2000.expected.ndjson") {
            let key = "\(line["line"]!.doubleValue.map { Int($0) }!)|\(line["preset"]!.stringValue!)"
            expectedKeys.insert(key)
            guard let mine = ours[key] else {
                Issue.record("\(key): the reference fired this preset, we did not")
                continue
            }
            if line["body"] == mine.body {
                matched += 1
                continue
            }
            guard let fields = mine.fields else {
                Issue.record("\(key): refused before the stages (\(mine.error ?? "?")), the reference: \(line.serialized())")
                continue
            }
            let (adjusted, reasons) = WebDifferences.expected(referenceBody: line["body"], fields: fields)
            if adjusted == mine.body, !reasons.isEmpty {
                for reason in reasons { explained[reason, default: []].append(key) }
            } else {
                Issue.record("""
                    \(key): unexplained difference
                     ours: \(mine.body?.serialized() ?? mine.error ?? "-")
                     reference: \(line["body"]?.serialized() ?? line["error"]?.stringValue ?? "-")
                     adjusted: \(adjusted?.serialized() ?? "(refused)")
                    """)
            }
        }
        let extra = Set(ours.keys).subtracting(expectedKeys)
        #expect(extra.isEmpty, "we fired presets the reference did not: \(extra.sorted().prefix(5))")
        let differing = Set(explained.values.joined()).count
        print("tiktok-conversions corpus parity: \(ours.count) pairs, \(matched) identical, \(differing) differ as documented")
        for (reason, keys) in explained.sorted(by: { $0.key < $1.key }) {
            print("  \(reason): \(keys.count) pairs, e.g. \(keys.prefix(3).joined(separator: ", "))")
        }
        #expect(matched + differing == ours.count)
        #expect(ours.count == expectedKeys.count)
    }
}

/// Which documented improvements turn the reference's result into ours, computed from the
/// mapped fields with Segment's own formatting rules (written from its code).
enum WebDifferences {
    static let identifierLists = [("external_id", "external_id"), ("phone_number", "phone"), ("email", "email")]

    static func expected(referenceBody: JSON?, fields: JSONObject) -> (body: JSON?, reasons: Set<String>) {
        var reasons = Set<String>()
        var lists: [String: [JSON]] = [:]
        for (key, category) in identifierLists {
            let normalizer = IdentifierNormalizer(category: category, defaultCountryCode: nil)
            guard case .array(let raw)? = fields[key] else { lists[key] = []; continue }
            var kept: [JSON] = []
            for case .string(let value) in raw {
                let reference = segmentFormat(value, category: category)
                switch normalizer.normalize(value) {
                case .keep(let normalized, _):
                    let hashed = SHA256Hex.looksHashed(normalized) ? normalized : SHA256Hex.hash(normalized)
                    if hashed != reference { reasons.insert(category == "email" ? "emails trimmed" : "phones in E.164") }
                    kept.append(.string(hashed))
                case .drop(let why):
                    reasons.insert(why == "blank" ? "blank identifiers dropped" : category == "phone" ? "invalid phones dropped" : "invalid emails dropped")
                }
            }
            lists[key] = kept
        }
        if let timestamp = fields["timestamp"], timestamp.isTruthy, JSDate.parseMilliseconds(timestamp.stringValue ?? "") == nil {
            reasons.insert("unparsable timestamps refused")
            return (nil, reasons)
        }
        guard case .object(var body)? = referenceBody, case .array(var data)? = body["data"],
            case .object(var element)? = data.first, case .object(var user)? = element["user"]
        else { return (referenceBody, reasons) }
        user["external_id"] = .array(lists["external_id"] ?? [])
        user["phone"] = .array(lists["phone_number"] ?? [])
        user["email"] = .array(lists["email"] ?? [])
        let matchable = lists.values.contains { !$0.isEmpty } || ["ttclid", "ttp", "ip", "user_agent"].contains { user[$0]?.isTruthy ?? false }
        if !matchable {
            reasons.insert("events with nothing to match refused")
            return (nil, reasons)
        }
        element["user"] = .object(user)
        if element["event"] == "Purchase" {
            element["event"] = "CompletePayment"
            reasons.insert("Purchase sent as CompletePayment")
        }
        data[0] = .object(element)
        body["data"] = .array(data)
        return (.object(body), reasons)
    }

    /// Segment's `processHashing` with the destination's cleaning: e-mails and external ids
    /// lower-cased, phones cut to `+` and 14 digits; blank gives `""`; a SHA-256 passes through.
    static func segmentFormat(_ value: String, category: String) -> String {
        let cleaned: String
        switch category {
        case "phone": cleaned = value
        default: cleaned = value.lowercased()
        }
        if cleaned.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return "" }
        if cleaned.utf8.count == 64, cleaned.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }) { return cleaned }
        if category == "phone" { return SHA256Hex.hash(String(("+" + cleaned.filter { $0.isASCII && $0.isNumber }).prefix(15))) }
        return SHA256Hex.hash(cleaned)
    }
}
