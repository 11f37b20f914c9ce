import JSONKit
@testable import MappingKit
import Testing

@Suite struct MappingFileTests {
    static let completePayment = """
        name: Complete Payment
        description: Purchases made in store
        trigger: event = "Order Completed"
        action: reportOfflineEvent
        enabled: true
        defaults: true
        mapping:
          event: CompletePayment
          contents: !arrayPath
            - $.properties.products
            - price: !path $.price
              content_id: !path $.product_id
        tests:
          - name: each product becomes an item
            event: {event: Order Completed, properties: {products: [{price: 9.5, product_id: p1}]}}
            expect: {event: CompletePayment, contents: [{price: 9.5, content_id: p1}]}
        """

    @Test func loadsEveryPart() throws {
        let file = try MappingFile.parse(Self.completePayment, file: "cp.yaml")
        #expect(file.name == "Complete Payment")
        #expect(file.description == "Purchases made in store")
        #expect(file.action == "reportOfflineEvent")
        #expect(file.enabled && file.defaults)
        #expect(file.trigger.matches(["event": "Order Completed"]))
        #expect(file.mapping["contents"]?["@arrayPath"]?.arrayValue?.count == 2)
        #expect(file.tests.count == 1)
        #expect(file.tests[0].mark?.line == 14)
        #expect(file.warnings.isEmpty)
    }

    @Test func segmentJSONLoadsUnchanged() throws {
        let file = try MappingFile.parse("""
            {"name": "Contact", "trigger": "event = \\"Callback Started\\"", "action": "reportOfflineEvent",
             "mapping": {"event": "Contact", "event_id": {"@path": "$.messageId"}}}
            """)
        #expect(try file.compiled.evaluate(["messageId": "m1"]) == ["event": "Contact", "event_id": "m1"])
        #expect(file.enabled)
        #expect(!file.defaults)
    }

    @Test func runsItsOwnTests() throws {
        let file = try MappingFile.parse(Self.completePayment)
        let results = file.runTests()
        #expect(results.map(\.passed) == [true])
    }

    @Test func aFailingTestSaysWhereItDiffers() throws {
        let text = Self.completePayment.replacingOccurrences(of: "content_id: p1}]}", with: "content_id: p2}]}")
        let results = try MappingFile.parse(text).runTests()
        #expect(results[0].failures == [#"/contents/0/content_id: expected "p2", got "p1""#])
    }

    @Test(arguments: [
        ("name: A\naction: x\nmapping: {}\n", "missing 'trigger'"),
        ("name: A\ntrigger: type = \"page\"\nmapping: {}\n", "missing 'action'"),
        ("name: \"\"\ntrigger: type = \"page\"\naction: x\nmapping: {}\n", "'name' must be a non-empty string"),
        ("name: A\ntrigger: type = \"page\"\naction: x\nenabled: yes please\nmapping: {}\n", "'enabled' must be true or false"),
        ("name: A\ntrigger: type = \"page\"\naction: x\nmapping: {}\ntests: 3\n", "'tests' must be a list"),
        ("name: A\ntrigger: type = \"page\"\naction: x\nmapping: {}\ntests: [{name: t, event: {}}]\n", "needs 'expect'"),
        ("- 1\n- 2\n", "must be an object"),
        ("", "the file is empty"),
    ])
    func explainsStructuralProblems(text: String, message: String) {
        do {
            _ = try MappingFile.parse(text, file: "m.yaml")
            Issue.record("expected a load error")
        } catch let error as MappingFileError {
            #expect(error.description.contains(message), "\(error)")
            #expect(error.description.hasPrefix("m.yaml"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func liquidIsRefusedAtLoad() {
        #expect(throws: MappingFileError.self) {
            try MappingFile.parse("name: A\ntrigger: type = \"page\"\naction: x\nmapping: {a: {\"@liquid\": \"{{x}}\"}}\n")
        }
    }

    @Test(arguments: [
        ("$.a.b", nil), ("$.", nil), ("", nil), ("$.a['b c'].d", nil), ("$.a[0].b", nil), ("a.b", nil),
        ("$.integrations.TikTok Offline Conversions.ttclid", nil), ("$.a[b]", nil),
        ("$.a..b", 4), ("$..a", 2), ("$.a.", 3), ("$.a['b", 4), ("$.a['b'", 6), ("$.a[0", 5), ("$a", 1), (" $.a", 0),
    ] as [(String, Int?)])
    func pathSyntax(path: String, offset: Int?) {
        #expect(PathSyntax.problem(in: path)?.offset == offset)
    }
}
