import JSONKit
@testable import MappingKit
import Testing

/// A `TriggerSet` passes over triggers that cannot fire for an event's name, and answers
/// exactly as testing each trigger in turn.
@Suite struct TriggerSetTests {
    static let names: [(String, Set<String>?)] = [
        (#"event = "Order Completed""#, ["Order Completed"]),
        (#"event = "A" or event = "B""#, ["A", "B"]),
        (#"type = "track" and event = "A""#, ["A"]),
        (#"(event = "A" or event = "B") and event = "B""#, ["B"]),
        (#"event = "A" and event = "B""#, []),
        (#"event = 5"#, ["5"]),
        (#"event = "A" or type = "page""#, nil),
        (#"!(event = "A")"#, nil),
        (#"event != "A""#, nil),
        (#"contains(event, "A")"#, nil),
        (#"event > "5""#, nil),
        (#"type = "page""#, nil),
        (#"properties.event = "A""#, nil),
    ]

    @Test(arguments: names)
    func namesATriggerCanFireFor(_ source: String, _ names: Set<String>?) throws {
        #expect(TriggerSet.eventNames(of: try Trigger(source).node) == names)
    }

    static let triggers = [
        #"event = "Order Completed""#, #"type = "page""#, #"event = "A" or event = "B""#,
        #"event = "B" and properties.value > 10"#, #"event = "5""#, #"event = 5"#, #"contains(event, "Comp")"#,
        #"!(event = "A")"#, #"event = "Ünïcödé""#, #"event = """#,
    ]

    @Test(arguments: [
        #"{"event":"Order Completed","type":"track"}"#,
        #"{"event":"B","properties":{"value":11}}"#,
        #"{"event":"B","properties":{"value":9}}"#,
        #"{"event":"A","type":"page"}"#,
        #"{"type":"page"}"#,
        #"{"event":5}"#,
        #"{"event":"5"}"#,
        #"{"event":null}"#,
        #"{"event":["A"]}"#,
        #"{"event":"Ünïcödé"}"#,
        #"{"event":"Unicode"}"#,
        #"{"event":""}"#,
        #"{"event":"Order Completed","event":"A"}"#,
        #"{"ev\u0065nt":"A"}"#,
        #"["event","A"]"#,
        #""Order Completed""#,
    ])
    func firesWhatEachTriggerFiresOnItsOwn(_ text: String) throws {
        let triggers = try Self.triggers.map(Trigger.init)
        let document = try JSONDocument(parsing: text)
        var fired: [Int] = []
        TriggerSet(triggers).forEachMatch(in: document) { fired.append($0) }
        #expect(fired == triggers.indices.filter { triggers[$0].matches(document) })
        #expect(fired == triggers.indices.filter { triggers[$0].matches(try! JSON.parse(text)) })
    }
}
