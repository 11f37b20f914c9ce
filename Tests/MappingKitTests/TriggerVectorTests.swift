import JSONKit
@testable import MappingKit
import Testing

/// Runs every entry of `fql.json`. Entries that pin a Segment behaviour our triggers replace
/// (DIFFERENCES.md items 8–10) are listed in `replaced` with what we do instead; all others
/// must behave exactly as the reference.
@Suite struct TriggerVectorTests {
    static let vectors = Fixtures.vectors("fql.json")
    static let asIs = vectors.filter { replaced[$0.name] == nil }
    static let replacedVectors = vectors.filter { replaced[$0.name] != nil }

    // MARK: - Reference behaviour

    @Test(arguments: asIs)
    func behavesAsReference(_ vector: Vector) throws {
        switch vector["kind"]?.stringValue {
        case "parse": try checkParse(vector)
        case "match": try checkMatch(vector)
        case "generate": try checkGenerate(vector)
        default: Issue.record("unknown vector kind")
        }
    }

    private func checkParse(_ vector: Vector) throws {
        let subscription = try #require(vector["subscription"]?.stringValue)
        if vector.flag("invalid") {
            #expect(throws: TriggerSyntaxError.self) { try Trigger(subscription) }
            return
        }
        let trigger = try Trigger(subscription)
        let ast = try #require(vector["ast"])
        #expect(trigger.referenceAST == ast)
        if vector.flag("roundtrip") {
            #expect(try Trigger.generate(referenceAST: ast) == subscription)
            #expect(trigger.canonicalSource == subscription)
        }
    }

    private func checkMatch(_ vector: Vector) throws {
        let expected = try #require(vector["matches"]?.boolValue as Bool?)
        let trigger: Trigger
        switch vector["subscription"] {
        case .string(let subscription)?:
            if vector.flag("invalid") {
                #expect(throws: TriggerSyntaxError.self) { try Trigger(subscription) }
                #expect(expected == false)
                return
            }
            trigger = try Trigger(subscription)
            #expect(trigger.referenceAST == vector["ast"])
        default:
            trigger = try Trigger(referenceAST: try #require(vector["ast"]))
        }
        // An absent event is no event at all: nothing to match.
        let actual = vector.flag("event_absent") ? false : trigger.matches(try #require(vector["event"]))
        #expect(actual == expected)
        if !vector.flag("event_absent") {
            // The same event read in place gives the same answer.
            let document = try JSONDocument(parsing: try #require(vector["event"]).serialized())
            #expect(trigger.matches(document) == expected)
            // And so does a set of triggers that passes over names it cannot fire for.
            var fired = false
            TriggerSet([trigger]).forEachMatch(in: document) { _ in fired = true }
            #expect(fired == expected)
        }
    }

    private func checkGenerate(_ vector: Vector) throws {
        let ast = try #require(vector["ast"])
        if vector.flag("error") {
            #expect(throws: TriggerSyntaxError.self) { try Trigger.generate(referenceAST: ast) }
            return
        }
        #expect(try Trigger.generate(referenceAST: ast) == vector["expected_fql"]?.stringValue)
    }

    // MARK: - Replaced behaviour

    /// What our trigger does instead of the behaviour a vector pins.
    enum Ours: Sendable {
        /// The text is a load error at this column, and the message mentions `mentioning`.
        case rejected(column: Int, mentioning: String)
        /// The text loads (without a reference AST when it nests or negates) and matches the
        /// vector's event as given.
        case loads(matches: Bool, referenceAST: Bool)
    }

    static let replaced: [String: Ours] = [
        // 8. Real precedence: `and` binds tighter than `or`.
        "derived: no precedence: last connective wins (a or b and c)": .loads(matches: true, referenceAST: true),
        "derived: no precedence: last connective wins (a and b or c)": .loads(matches: true, referenceAST: true),
        "derived: group operator set by a later connective applies to earlier siblings":
            .loads(matches: true, referenceAST: true),
        // 8. `!` negates any condition or group.
        "derived: negation of a parenthesised group is silently dropped": .loads(matches: false, referenceAST: false),
        // 8. Parentheses nest.
        "derived: nested parentheses are not supported": .loads(matches: false, referenceAST: true),
        "derived: function call inside parentheses truncates the group": .loads(matches: false, referenceAST: true),
        // 9. Unknown fields and garbage are load errors, not skipped.
        "derived: unknown field condition is ignored when others exist": .rejected(column: 1, mentioning: "unknown field 'foo'"),
        "derived: connective glued to \"(\" is not a connective": .rejected(column: 13, mentioning: "'or('"),
        "derived: event prefix with path still reads event": .rejected(column: 1, mentioning: "no sub-fields"),
        "derived: \"<=\" glued to a number degrades to \"<\" with value \"=\"":
            .rejected(column: 15, mentioning: "followed by a space"),
    ]

    @Test(arguments: replacedVectors)
    func behavesAsWeDecided(_ vector: Vector) throws {
        let subscription = try #require(vector["subscription"]?.stringValue)
        switch try #require(Self.replaced[vector.name]) {
        case .rejected(let column, let mentioning):
            #expect(vector.flag("invalid") == false, "the reference accepts this text; we reject it")
            do {
                _ = try Trigger(subscription)
                Issue.record("expected a syntax error")
            } catch let error as TriggerSyntaxError {
                #expect(error.column == column)
                #expect(error.message.contains(mentioning), "\(error)")
                #expect(error.expected != nil)
            }
        case .loads(let matches, let hasReferenceAST):
            let trigger = try Trigger(subscription)
            #expect(trigger.matches(try #require(vector["event"])) == matches)
            #expect((trigger.referenceAST != nil) == hasReferenceAST)
            #expect(trigger.referenceAST != vector["ast"], "our reading differs from the reference's")
            #expect(!trigger.warnings.isEmpty, "Segment reads this differently, so it must warn")
            #expect(try Trigger(trigger.canonicalSource).isEquivalent(to: trigger))
        }
    }

    @Test func everyReplacementNamesAVector() {
        let names = Set(Self.vectors.map(\.name))
        for name in Self.replaced.keys {
            #expect(names.contains(name), "no vector named \(name)")
        }
        #expect(Self.asIs.count + Self.replacedVectors.count == 166)
    }
}
