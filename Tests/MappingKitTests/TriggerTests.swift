import JSONKit
@testable import MappingKit
import Testing

@Suite struct TriggerTests {
    private func event(_ json: String) throws -> JSON { try JSON.parse(json) }

    // MARK: - Precedence, nesting, negation

    @Test(arguments: [
        // `and` binds tighter than `or`.
        (#"event = "A" or event = "B" and type = "track""#, #"{"event":"A"}"#, true),
        (#"event = "A" or event = "B" and type = "track""#, #"{"event":"B"}"#, false),
        (#"event = "A" or event = "B" and type = "track""#, #"{"event":"B","type":"track"}"#, true),
        (#"type = "track" and event = "A" or event = "B""#, #"{"event":"B"}"#, true),
        (#"type = "track" and event = "A" or event = "B""#, #"{"event":"A"}"#, false),
        // Parentheses override it, and nest.
        (#"(event = "A" or event = "B") and type = "track""#, #"{"event":"A"}"#, false),
        (#"(event = "A" or event = "B") and type = "track""#, #"{"event":"B","type":"track"}"#, true),
        (#"((((event = "A"))))"#, #"{"event":"A"}"#, true),
        (#"type = "track" and ((event = "A" or event = "B") and (userId != null or name = "x"))"#,
         #"{"type":"track","event":"B","name":"x"}"#, true),
        (#"type = "track" and ((event = "A" or event = "B") and (userId != null or name = "x"))"#,
         #"{"type":"track","event":"B"}"#, false),
        (#"type = "track" and (contains(event, "A") or event = "B")"#, #"{"type":"identify","event":"B"}"#, false),
        (#"type = "track" and (contains(event, "A") or event = "B")"#, #"{"type":"track","event":"xAx"}"#, true),
        // `!` binds tighter than `and`, and negates conditions and groups.
        (#"!event = "A" and type = "track""#, #"{"event":"B","type":"track"}"#, true),
        (#"!event = "A" and type = "track""#, #"{"event":"A","type":"track"}"#, false),
        (#"!(event = "A" and type = "track")"#, #"{"event":"A","type":"identify"}"#, true),
        (#"!(event = "A" and type = "track")"#, #"{"event":"A","type":"track"}"#, false),
        (#"!(!(event = "A"))"#, #"{"event":"A"}"#, true),
        // `!contains(…)` is Segment's not_contains (false for a missing field); `!(contains(…))` is a true negation.
        (#"!contains(event, "Test")"#, #"{"type":"track"}"#, false),
        (#"!(contains(event, "Test"))"#, #"{"type":"track"}"#, true),
    ])
    func precedenceNestingAndNegation(source: String, event json: String, expected: Bool) throws {
        let trigger = try Trigger(source)
        #expect(trigger.matches(try event(json)) == expected)
    }

    @Test(arguments: [
        (#"event = "A" or event = "B" and type = "track""#, #"event = "A" or (event = "B" and type = "track")"#),
        (#"type = "track" and event = "A" or event = "B""#, #"(type = "track" and event = "A") or event = "B""#),
        (#"!(event = "A" or event = "B")"#, #"!(event = "A" or event = "B")"#),
        (#"!event = "A""#, #"!(event = "A")"#),
        (#"(event = "A")"#, #"event = "A""#),
        (#"(event = "A" or event = "B")"#, #"event = "A" or event = "B""#),
        (#"properties.\and.\0x.\-y.a\ b = 1"#, #"properties.\and.\0x.\-y.a\ b = 1"#),
    ])
    func canonicalSourceReparsesToTheSameTrigger(source: String, canonical: String) throws {
        let trigger = try Trigger(source)
        #expect(trigger.canonicalSource == canonical)
        #expect(try Trigger(trigger.canonicalSource).isEquivalent(to: trigger))
    }

    /// Every comparison's canonical text reads back as the same trigger, numbers written as
    /// text and extreme numbers included.
    @Test(arguments: [
        #"properties.a < "10""#, #"properties.a >= "-2.5e3""#, #"userId > "7""#, #"properties.a <= 1000000000000000000000"#, #"properties.a > 0.0000001"#,
        #"contains(name, 1000000000000000000000)"#, #"name = 'say "hi"'"#,
        // Found by fuzzing: a pattern of one character ends with "", written back as "*".
        #"!match(properties.rtvalue, ":")"#, #"match(event, "")"#,
        // Found by fuzzing: an escaped dot makes a name that starts or ends with '.'.
        #"!properties.\\\\\\\es\\\\.\.a != 5"#, #"properties.a\..b = 1"#, #"properties.\.a = 1"#,
        #"properties.a = 0.1"#, #"name != 12"#, #"event = "5""#, #"properties.b < "0x10""#,
    ])
    func comparisonsRoundTripThroughCanonicalSource(source: String) throws {
        let trigger = try Trigger(source)
        #expect(try Trigger(trigger.canonicalSource).isEquivalent(to: trigger), "\(trigger.canonicalSource)")
    }

    @Test func groupingIsStructural() throws {
        let implicit = try Trigger(#"event = "A" or event = "B" and type = "track""#)
        let explicit = try Trigger(#"event = "A" or (event = "B" and type = "track")"#)
        let other = try Trigger(#"(event = "A" or event = "B") and type = "track""#)
        #expect(implicit.isEquivalent(to: explicit))
        #expect(!implicit.isEquivalent(to: other))
    }

    @Test func referenceASTOnlyForWhatSegmentCanExpress() throws {
        #expect(try Trigger(#"event = "A" and (type = "track" or userId != null)"#).referenceAST != nil)
        #expect(try Trigger(#"event = "A" and !contains(name, "x")"#).referenceAST != nil)
        #expect(try Trigger(#"!(event = "A")"#).referenceAST == nil)
        #expect(try Trigger(#"event = "A" and (type = "track" or (userId != null and name = "n"))"#).referenceAST == nil)
    }

    @Test func nestingDepthIsBounded() throws {
        func nested(_ depth: Int) -> String {
            String(repeating: "(", count: depth) + #"event = "A""# + String(repeating: ")", count: depth)
        }
        #expect(try Trigger(nested(TriggerParser.maximumDepth)).matches(["event": "A"]))
        #expect(throws: TriggerSyntaxError.self) { try Trigger(nested(TriggerParser.maximumDepth + 1)) }
        let negations = String(repeating: "!(", count: 1_000) + #"event = "A""# + String(repeating: ")", count: 1_000)
        #expect(throws: TriggerSyntaxError.self) { try Trigger(negations) }
    }

    // MARK: - Errors

    @Test(arguments: [
        (#"evnt = "A""#, 1, "did you mean 'event'"),
        (#"userid = "u""#, 1, "did you mean 'userId'"),
        (#"anonymousId = "a""#, 1, "cannot test anonymousId"),
        ("type = ", 8, "expected a value, found end of trigger"),
        ("type", 5, "expected an operator"),
        (#"event = "A"#, 9, "unterminated string"),
        (#"event = "A")"#, 12, "')' without a matching '('"),
        (#"(event = "A""#, 13, "never closed"),
        (#"event = "A" and"#, 16, "expected a condition"),
        (#"event = "A" type = "track""#, 13, "expected 'and', 'or'"),
        ("", 1, "empty trigger"),
        ("type\r= \"x\"", 5, "invalid character after the name"),
        ("type \r= \"x\"", 6, "invalid character '\\r'"),
        (#"type * "x""#, 6, "invalid character '*'"),
        (#"event = Order"#, 9, "double quotes"),
        ("properties = 1", 1, "needs a path"),
        ("properties.0 = 1", 12, "expected a field name after '.'"),
        (#"event.x = "A""#, 1, "no sub-fields"),
        (#"contains(type, "x")"#, 10, "cannot test 'type'"),
        (#"contains(event "x")"#, 16, "expected ','"),
        (#"match(event, 5)"#, 14, "quoted pattern"),
        ("properties.a > null", 16, "compares numbers"),
        ("properties.a = -", 16, "not a number"),
        ("userId !=null", 10, "followed by a space"),
        ("properties.a <=5", 15, "followed by a space"),
        ("properties.price>=100", 17, "cannot follow the name"),
        (#"event = "A" or(type = "track")"#, 13, "put a space"),
        (#"properties.a\"#, 13, "at the end of the trigger"),
        // Text that is no number after an ordering operator could never match (Segment loads it).
        (#"event < "Order Completed" and properties.revenue > 1"#, 9, "could never match"),
        (#"properties.a >= 'ten'"#, 17, "could never match"),
        ("properties.a > " + String(repeating: "9", count: 400), 16, "too large"),
        (#"userId <= "x""#, 11, "could never match"),
    ])
    func malformedTriggersSayWhereAndWhat(source: String, column: Int, fragment: String) {
        do {
            _ = try Trigger(source)
            Issue.record("expected a syntax error for \(source)")
        } catch let error as TriggerSyntaxError {
            #expect(error.column == column, "\(error)")
            #expect(error.message.contains(fragment), "\(error)")
            #expect(error.expected != nil, "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func referenceASTErrorsHaveNoColumn() {
        let bad: JSON = ["type": "group", "operator": "and", "children": [["type": "event", "operator": "~"]]]
        #expect(throws: TriggerSyntaxError.self) { try Trigger(referenceAST: bad) }
        #expect(throws: TriggerSyntaxError.self) { try Trigger(referenceAST: ["type": "event", "operator": "="]) }
    }

    // MARK: - Warnings

    @Test(arguments: [
        (#"event = "A" or event = "B" and type = "track""#, [28], "mixed"),
        (#"type = "track" and event = "A" or event = "B""#, [32], "last connective ('or')"),
        (#"(event = "A" or event = "B") and type = "track""#, [], ""),
        (#"event = "A" and type = "track" and userId != null"#, [], ""),
        (#"event = 'A'"#, [9], "single quotes"),
        (#"!(event = "A")"#, [1], "ignores '!'"),
        (#"type = "track" and ((event = "A") or event = "B")"#, [21], "nested parentheses"),
        (#"type = "track" and (contains(event, "A") or event = "B")"#, [21], "contains()"),
    ])
    func warnsWhereSegmentReadsDifferently(source: String, columns: [Int], fragment: String) throws {
        let warnings = try Trigger(source).warnings
        #expect(warnings.map(\.column) == columns)
        for warning in warnings { #expect(warning.message.contains(fragment), "\(warning)") }
    }

    // MARK: - Matching details

    @Test(arguments: [#"[]"#, #""x""#, "null", "3", #"[{"event":"x"}]"#])
    func onlyObjectsMatch(json: String) throws {
        let trigger = try Trigger(#"event != "A" or properties.a = null"#)
        #expect(trigger.matches(try event(json)) == false)
        #expect(trigger.matches(try event("{}")))
    }

    @Test(arguments: [
        (#"properties.items.\0.sku = "S1""#, #"{"properties":{"items":[{"sku":"S1"}]}}"#, true),
        (#"properties.items.length = 2"#, #"{"properties":{"items":[1,2]}}"#, true),
        (#"properties.a.b = 0"#, #"{"properties":{"a":0}}"#, true),
        (#"properties.a.b != null"#, #"{"properties":{"a":"x"}}"#, false),
        (#"properties.a = 5"#, #"{"properties":{"a":5.0}}"#, true),
        (#"properties.a >= 2.5"#, #"{"properties":{"a":3}}"#, true),
        (#"properties.a < "10""#, #"{"properties":{"a":"5"}}"#, false),
        ("properties.n = \"\u{E9}\"", "{\"properties\":{\"n\":\"e\u{301}\"}}", false),
        ("contains(properties.n, \"e\")", "{\"properties\":{\"n\":\"e\u{301}\"}}", true),
        (#"match(name, "*ck")"#, #"{"name":"Buck"}"#, true),
        (#"contains(properties.sku, 12)"#, #"{"properties":{"sku":"A12"}}"#, true),
        (#"traits.plan = "pro""#, #"{"traits":{"plan":"pro"},"context":{"traits":{"plan":"free"}}}"#, true),
        (#"context.page.path = "/p""#, #"{"context":{"page":{"path":"/p"}}}"#, true),
        (#"properties.property\ 1 = "x""#, #"{"properties":{"property 1":"x"}}"#, true),
        (#"userId = false"#, #"{"userId":false}"#, true),
        (#"name = false"#, #"{"name":"false"}"#, true),
        (#"type != null"#, #"{}"#, true),
    ])
    func matchesWithSegmentsSemantics(source: String, event json: String, expected: Bool) throws {
        #expect(try Trigger(source).matches(try event(json)) == expected)
    }

    @Test func sourceIsKeptAsWritten() throws {
        let text = "type\t=\n\"track\""
        let trigger = try Trigger(text)
        #expect(trigger.source == text)
        #expect(trigger.canonicalSource == #"type = "track""#)
    }
}
