import Foundation
import Testing

@Suite(.timeLimit(.minutes(2))) struct LintCommandTests {
    /// The acceptance case: a misspelt directive, an invalid trigger and a malformed path are
    /// all reported, each at its own line and column.
    @Test func reportsEveryProblemWithItsLocation() async throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("broken.yaml", """
            name: Broken
            trigger: event = "Order Completed" and evnt = "x"
            action: reportOfflineEvent
            mapping:
              event: CompletePayment
              email:
                "@pth": $.traits.email
              phone: !path $.properties..phone
            """)
        let result = try await Tool.run(["lint", file])
        #expect(result.status != 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(result.stdout)")
        #expect(lines.contains { $0.hasPrefix("\(file):2:40: error:") && $0.contains("evnt") && $0.contains("did you mean") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("\(file):7:5: error:") && $0.contains("@pth") && $0.contains("@path") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("\(file):8:29: error:") && $0.contains("malformed path") }, "\(lines)")
    }

    /// A path with a '[' that is never closed works (the bracket is part of the key, as in
    /// Segment) but is almost never meant: a warning that says so, not an error.
    @Test func anUnclosedBracketInAPathIsAWarning() async throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("bracket.yaml", """
            name: Bracket
            trigger: type = "page"
            action: reportOfflineEvent
            mapping:
              event: PageView
              email_addresses: !path $.properties[email
            """)
        let result = try await Tool.run(["lint", file])
        #expect(result.status == 0, "a warning does not fail lint: \(result.stdout)")
        let line = try #require(result.stdout.split(separator: "\n").first.map(String.init))
        #expect(line.hasPrefix("\(file):6:38: warning:"), "\(line)")
        #expect(line.contains("never closed") && line.contains("part of the key") && line.contains("Segment"), "\(line)")
    }

    @Test func aCleanFolderPasses() async throws {
        let folder = try TemporaryFolder()
        try folder.write("a.yaml", """
            name: A
            trigger: type = "page"
            action: reportOfflineEvent
            mapping:
              event: PageView
              timestamp: !path $.timestamp
            """)
        let result = try await Tool.run(["lint", folder.url.path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("1 file checked: 0 errors"))
    }

    @Test(arguments: [
        ("nme: A\ntrigger: type = \"page\"\naction: x\nmapping: {}\n", "1:1", "did you mean 'name'"),
        ("name: A\ntrigger: type = \"page\"\naction: x\nmapping: [1]\n", "4:10", "'mapping' must be an object"),
        ("name: A\ntrigger: type = \"page\"\naction: x\nmapping:\n  a: !pth $.x\n", "5:6", "did you mean !path"),
        ("name: A\ntrigger: type = \"page\"\naction: x\nmapping:\n  a: [unclosed\n", "", "error"),
    ])
    func reportsFileStructureProblems(text: String, location: String, message: String) async throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("m.yaml", text)
        let result = try await Tool.run(["lint", file])
        #expect(result.status != 0)
        #expect(result.stdout.contains("\(file):\(location)"), "\(result.stdout)")
        #expect(result.stdout.contains(message), "\(result.stdout)")
    }

    @Test func warnsAboutMixedConnectives() async throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("m.yaml", """
            name: A
            trigger: type = "track" or event = "A" and userId != null
            action: reportOfflineEvent
            mapping: {event: X}
            """)
        let result = try await Tool.run(["lint", file])
        #expect(result.status == 0)
        #expect(result.stdout.contains("\(file):2:"))
        #expect(result.stdout.contains("warning:"))
    }

    /// Problems of every kind in one file are all reported, a YAML-level one (an unknown tag)
    /// included, and so are the files in subfolders; hidden folders and `actions/` are not read.
    @Test func reportsEveryProblemOfEveryFileUnderTheFolder() async throws {
        let folder = try TemporaryFolder()
        let broken = """
            name: NAME
            action: reportOfflineEvent
            trigger: type = "track"
            mapping:
              event: CompletePayment
              timestamp: !path $.timestamp
              phone: !pth $.properties.phone
              order_id: !path $.properties..order
            """
        let top = try folder.write("broken.yaml", broken.replacingOccurrences(of: "NAME", with: "Top"))
        let nested = try folder.write("stores/berlin/broken.yaml", broken.replacingOccurrences(of: "NAME", with: "Nested"))
        try folder.write(".hidden/broken.yaml", broken.replacingOccurrences(of: "NAME", with: "Hidden"))
        try folder.write("actions/schema.yaml", "not: a mapping file\n")
        let result = try await Tool.run(["lint", folder.url.path])
        #expect(result.status != 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        for file in [top, nested] {
            #expect(lines.contains { $0.hasPrefix("\(file):7:10: error:") && $0.contains("did you mean !path") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("\(file):8:32: error:") && $0.contains("malformed path") }, "\(lines)")
        }
        #expect(lines.count == 4, "\(lines)")
        #expect(result.stderr.contains("2 files checked: 4 errors"), "\(result.stderr)")
    }

    /// An offline event without its own time is sent with the time of the run: a warning,
    /// unless the mapping maps `timestamp` or takes the action's defaults (which map it).
    @Test(arguments: [
        ("mapping:\n  event: CompletePayment\n", true),
        ("mapping:\n  event: CompletePayment\n  timestamp: !path $.properties.sold_at\n", false),
        ("defaults: true\nmapping:\n  event: CompletePayment\n", false),
    ])
    func warnsWhenNoEventTimeIsMapped(tail: String, warns: Bool) async throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("m.yaml", "name: A\ntrigger: type = \"track\"\naction: reportOfflineEvent\n" + tail)
        let result = try await Tool.run(["lint", file])
        #expect(result.status == 0, "a warning does not fail lint: \(result.stdout)")
        let warning = result.stdout.split(separator: "\n").first { $0.contains("no 'timestamp' is mapped") }
        #expect((warning != nil) == warns, "\(result.stdout)")
        if warns { #expect(warning?.hasPrefix("\(file):4:1: warning:") == true, "\(result.stdout)") }
    }
}
