import Foundation
import JSONKit
import MappingKit
import Testing

/// `map` is a contract other tools depend on: mapped JSON on stdout and exit 0; nothing for
/// no value; one located line on stderr and a non-zero exit for bad input.
@Suite(.timeLimit(.minutes(2))) struct MapCommandTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let vector: JSONObject
        var testDescription: String { vector["name"]?.stringValue ?? "?" }
    }

    /// Every portable transform vector, through the binary (the library runs them all too).
    static let cases: [Case] = SharedFixtures.vectors("mapping.json")
        .filter { $0["kind"] == "transform" && $0["optional"] != true && $0["unverified"] != true }
        .map(Case.init)

    @Test(arguments: cases)
    func transformVector(_ c: Case) async throws {
        let folder = try TemporaryFolder()
        let mapping = try folder.write("mapping.json", c.vector["mapping"]!.serialized())
        let result = try await Tool.run(["map", "--mapping", mapping], stdin: c.vector["input"]?.serialized() ?? "{}")
        if c.vector["error"] == true {
            #expect(result.status != 0)
            #expect(result.stderr.split(separator: "\n").count == 1, "one clear line: \(result.stderr)")
            #expect(result.stdout.isEmpty)
        } else if c.vector["undefined_result"] == true {
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        } else {
            #expect(result.status == 0, "\(result.stderr)")
            let printed = try JSON.parse(result.stdout)
            #expect(printed == c.vector["expected"]!)
        }
    }

    @Test func readsYAMLWithTagsAndAnEventFile() async throws {
        let folder = try TemporaryFolder()
        let mapping = try folder.write("m.yaml", """
            email: !path $.traits.email
            total: !if
              exists: !path $.properties.value
              then: !path $.properties.value
              else: !path $.properties.revenue
            """)
        let event = try folder.write("e.json", #"{"traits":{"email":"a@b.c"},"properties":{"revenue":43.98}}"#)
        let result = try await Tool.run(["map", "--mapping", mapping, "--event", event])
        #expect(result.status == 0)
        #expect(result.stdout == #"{"email":"a@b.c","total":43.98}"# + "\n")
    }

    @Test func locatesAMisspeltDirective() async throws {
        let folder = try TemporaryFolder()
        let mapping = try folder.write("m.yaml", "a: 1\nb:\n  \"@pth\": $.x\n")
        let result = try await Tool.run(["map", "--mapping", mapping], stdin: "{}")
        #expect(result.status != 0)
        #expect(result.stderr.hasPrefix("\(mapping):3:"), "\(result.stderr)")
        #expect(result.stderr.contains("@pth"))
        #expect(result.stderr.contains("@path"), "did you mean")
    }

    @Test(arguments: [
        ("{\"a\": ", "not valid JSON"),
        ("[1]", "data must be an object"),
    ])
    func rejectsABadEvent(event: String, message: String) async throws {
        let folder = try TemporaryFolder()
        let mapping = try folder.write("m.json", #"{"a":{"@path":"$.a"}}"#)
        let result = try await Tool.run(["map", "--mapping", mapping], stdin: event)
        #expect(result.status != 0)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func aMissingMappingFileIsOneClearLine() async throws {
        let result = try await Tool.run(["map", "--mapping", "/nonexistent/m.yaml"], stdin: "{}")
        #expect(result.status != 0)
        #expect(result.stderr.contains("/nonexistent/m.yaml"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    /// A mapping file is understood as `test` understands it: its mapping, over the action's
    /// defaults when it says `defaults: true`, not the file read as a bare mapping; a note says
    /// when its trigger would not fire.
    @Test func aMappingFileIsAppliedAsItsMapping() async throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("purchase.yaml", """
            name: Purchase
            trigger: event = "Order Completed"
            action: reportOfflineEvent
            defaults: true
            mapping:
              event: CompletePayment
              order_id: !path $.properties.order_id
            """)
        let event = #"{"type":"track","event":"Order Completed","messageId":"m-1","timestamp":"2026-12-01T10:00:00Z","properties":{"order_id":"o-9"}}"#
        let result = try await Tool.run(["map", "--mapping", file], stdin: event)
        #expect(result.status == 0, "\(result.stderr)")
        let mapped = try JSON.parse(result.stdout)
        #expect(mapped["name"] == nil && mapped["trigger"] == nil, "not the file itself: \(result.stdout)")
        #expect(mapped["event"] == "CompletePayment" && mapped["order_id"] == "o-9")
        #expect(mapped["event_id"] == "m-1" && mapped["timestamp"] == "2026-12-01T10:00:00Z", "the action's defaults: \(result.stdout)")
        #expect(result.stderr.isEmpty)

        let other = try await Tool.run(["map", "--mapping", file], stdin: #"{"type":"page"}"#)
        #expect(other.status == 0)
        #expect(other.stderr.contains("does not fire for this event"), "\(other.stderr)")
    }
}
