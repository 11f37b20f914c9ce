import ConversionEngine
import Foundation
import JSONKit
import MappingKit
import Testing

@testable import TikTokMock
@testable import TikTokOffline

/// The engine routes an event two ways: from its tree (`route(_: JSON, …)`) and read in place
/// (`route(_: JSONDocument, …)`, what `dry-run` and `run` use). Both must make the same records
/// with the same outcomes, fields and request bodies for any event, not only for well-formed
/// ones: these tests take the corpus and bend each event (values of other types, falsy and empty
/// values, escapes and non-ASCII text, repeated keys), the same way for a given seed.
@Suite struct RoutingEquivalenceTests {
    static let corpus: [String] = {
        let text = try! String(contentsOfFile: Fixtures.path("corpus/segment-events-2000.ndjson"), encoding: .utf8)
        return text.split(separator: "\n").map(String.init)
    }()

    /// Values put in place of others: every JSON type, the falsy ones, numbers written as
    /// strings, text that needs escaping, and hashed-looking and non-ASCII strings.
    static let replacements: [JSON] = [
        .null, false, true, 0, -1, 1.5, 1e21, "", " ", "0", "12.50", "true", "NaN", "-0",
        "Ünïcödé ✓ 😀", "quote \" backslash \\ tab \t newline \n", .string(String(repeating: "a", count: 64)),
        .string(String(repeating: "AB12", count: 16)), "+1 (415) 555-0100", " MiXeD@Example.COM ",
        [], [:], ["x"], [1, "2", nil], ["nested": ["deeper": [true]]], [["product_id": 7, "price": "3"]],
    ]

    /// Eight seeds of 500 events each: every corpus event is bent twice, differently.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func documentsRouteLikeTreesForBentEvents(seed: UInt64) async throws {
        let engine = try TikTokDestination.engine(
            settings: TikTokSettings(accessToken: "t", eventSetID: "s", partnerName: "Segment"), enableAll: true, sink: DryRunSink())
        var random = SplitMix64(seed: seed)
        var fromTrees = Batch()
        var fromDocuments = Batch()
        for n in 0..<500 {
            let line = Self.corpus[(Int(seed - 1) * 500 + n) % Self.corpus.count]
            let text = Self.bend(line, using: &random)
            let tree = try JSON.parse(text)
            let document = try JSONDocument(parsing: text)
            let fromTree = Result { () throws(EventError) in try engine.route(tree, line: n + 1, into: &fromTrees) }
            let fromDocument = Result { () throws(EventError) in try engine.route(document, line: n + 1, into: &fromDocuments) }
            #expect(fromTree.isFailure == fromDocument.isFailure, "line \(n + 1)")
        }
        try await engine.process(&fromTrees, now: 1_700_000_000)
        try await engine.process(&fromDocuments, now: 1_700_000_000)
        try #require(fromDocuments.count == fromTrees.count)
        for (a, b) in zip(fromTrees.records, fromDocuments.records) {
            // Compared as Bools: a failure names the record instead of printing both sides.
            let sameRecord = a.line == b.line && a.mapping == b.mapping
            let sameOutcome = a.outcome == b.outcome
            let sameFields = a.fields == b.fields
            let sameBody = a.output == b.output
            #expect(sameRecord, "line \(a.line): \(a.mapping) from the tree, \(b.mapping) from the document")
            #expect(sameOutcome, "line \(a.line), \(a.mapping): \(a.outcome) from the tree, \(b.outcome) from the document")
            #expect(sameFields, "line \(a.line), \(a.mapping): the fields differ")
            #expect(sameBody, "line \(a.line), \(a.mapping): the request bodies differ")
        }
        #expect(fromTrees.count > 100, "the bent events still fire mappings")
    }

    /// `line` with one to four of its values replaced; sometimes a key repeated at the end of
    /// the event (a later duplicate wins, as in `JSON.parse`), sometimes a key written with an
    /// escape (`"\u0065vent"` is `"event"`).
    static func bend(_ line: String, using random: inout SplitMix64) -> String {
        guard case .object(var event) = try! JSON.parse(line) else { return line }
        for _ in 0..<(1 + Int.random(in: 0..<4, using: &random)) {
            let replacement = replacements.randomElement(using: &random)!
            replaceOneValue(in: &event, with: replacement, using: &random)
        }
        var text = JSON.object(event).serialized()
        if Int.random(in: 0..<4, using: &random) == 0, let key = event.keys.randomElement(using: &random) {
            let value = replacements.randomElement(using: &random)!
            text.removeLast()
            text += "," + JSON.string(key).serialized() + ":" + value.serialized() + "}"
        }
        if Int.random(in: 0..<4, using: &random) == 0, let key = event.keys.randomElement(using: &random), let first = key.unicodeScalars.first, first.isASCII {
            let escaped = "\"\\u" + String(format: "%04x", first.value) + key.unicodeScalars.dropFirst().map(String.init).joined() + "\":"
            if let range = text.range(of: JSON.string(key).serialized() + ":") { text.replaceSubrange(range, with: escaped) }
        }
        return text
    }

    /// Replaces the value at a random path of `object` (walking into objects and arrays).
    static func replaceOneValue(in object: inout JSONObject, with replacement: JSON, using random: inout SplitMix64) {
        guard !object.isEmpty else { return }
        let key = object.keys[Int.random(in: 0..<object.count, using: &random)]
        var value = object[key]!
        if Int.random(in: 0..<3, using: &random) != 0, replaceInside(&value, with: replacement, using: &random) {
            object[key] = value
        } else {
            object[key] = replacement
        }
    }

    /// Replaces something inside `value`; false when it holds nothing to replace.
    private static func replaceInside(_ value: inout JSON, with replacement: JSON, using random: inout SplitMix64) -> Bool {
        switch value {
        case .object(var object) where !object.isEmpty:
            replaceOneValue(in: &object, with: replacement, using: &random)
            value = .object(object)
            return true
        case .array(var elements) where !elements.isEmpty:
            let i = Int.random(in: 0..<elements.count, using: &random)
            if !replaceInside(&elements[i], with: replacement, using: &random) { elements[i] = replacement }
            value = .array(elements)
            return true
        default:
            return false
        }
    }
}

extension Result {
    var isFailure: Bool { if case .failure = self { true } else { false } }
}
