import ConversionEngine
import Foundation
import JSONKit
import MappingKit
import ProcessTesting
import Testing

/// CSV files through the tool: the same bodies as the same rows written as NDJSON objects, one
/// error per bad row, and the shipped till export delivered to the stand-in.
@Suite("CSV input (processes)", .timeLimit(.minutes(2)))
struct CSVInputTests {
    static let mapping = """
        name: Till
        trigger: all
        action: reportOfflineEvent
        mapping:
          event: CompletePayment
          event_id: !path $['Order ID']
          email_addresses: !path $.Email
          value: !path $['Order Total']
          description: !path $.Note
          timestamp: !path $.When
        """

    /// Each row as the test writes it by hand: column → cell (nil: empty cell).
    static let rows: [[String: String?]] = [
        ["Order ID": "A-1", "Email": "Ann@Example.com", "Order Total": "12.50", "Note": "plain", "When": "2026-12-01T10:00:00Z"],
        ["Order ID": "A-2", "Email": "bo@example.com", "Order Total": "7", "Note": "with, a comma", "When": "2026-12-01T10:00:00Z"],
        ["Order ID": "A-3", "Email": "cy@example.com", "Order Total": "3.25", "Note": "she said \"hi\"", "When": "2026-12-01T10:00:00Z"],
        ["Order ID": "A-4", "Email": "di@example.com", "Order Total": "100", "Note": "two\nlines", "When": "2026-12-01T10:00:00Z"],
        ["Order ID": "A-5", "Email": "ed@example.com", "Order Total": "1", "Note": nil, "When": "2026-12-01T10:00:00Z"],
        ["Order ID": "A-6", "Email": "fi@example.com", "Order Total": "2", "Note": "über, «ok»", "When": "2026-12-01T10:00:00Z"],
    ]
    static let columns = ["Order ID", "Email", "Order Total", "Note", "When"]

    static func csvCell(_ value: String?) -> String {
        guard let value else { return "" }
        guard value.contains(where: { ",\"\n\r".contains($0) }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Runs dry-run over `input` and returns (bodies in order, error lines).
    static func dryRun(_ input: String, in directory: TemporaryDirectory, name: String, extra: [String] = []) async throws -> (bodies: [JSON], errors: [JSON]) {
        let run = try ToolProcess(["dry-run", "--mapping", directory.file("till.yaml"), "--input", input, "--event-set-id", "set-1",
                                   "--stale-events", "off"] + extra, in: directory, name: name)
        #expect(await run.wait() == 0, "\(run.stderr)")
        let lines = try run.stdout.split(separator: "\n").map { try JSON.parse(String($0)) }
        return (lines.compactMap { $0["body"] }, lines.filter { $0["error"] != nil })
    }

    @Test func aCSVFileGivesTheBodiesItsRowsGiveAsNDJSON() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        try Self.mapping.write(toFile: directory.file("till.yaml"), atomically: true, encoding: .utf8)
        // CSV: a byte-order mark, CRLF line ends, quoted commas, quotes and line breaks, and one
        // malformed row (a stray quote) between good ones.
        var csv = "\u{FEFF}" + Self.columns.joined(separator: ",") + "\r\n"
        for (index, row) in Self.rows.enumerated() {
            csv += Self.columns.map { Self.csvCell(row[$0] ?? nil) }.joined(separator: ",") + "\r\n"
            if index == 2 { csv += "A-bad,x@example.com,9,not \"quoted\" right,2026-12-01T10:00:00Z\r\n" }
        }
        try csv.write(toFile: directory.file("orders.csv"), atomically: true, encoding: .utf8)
        // NDJSON: the same rows as objects, written independently (empty cells left out).
        let ndjson = try Self.rows.map { row -> String in
            let object = row.compactMapValues { $0 }
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }.joined(separator: "\n")
        try ndjson.write(toFile: directory.file("orders.ndjson"), atomically: true, encoding: .utf8)

        let fromCSV = try await Self.dryRun(directory.file("orders.csv"), in: directory, name: "csv")
        let fromNDJSON = try await Self.dryRun(directory.file("orders.ndjson"), in: directory, name: "ndjson")
        #expect(fromNDJSON.bodies.count == Self.rows.count && fromNDJSON.errors.isEmpty)
        #expect(fromCSV.bodies == fromNDJSON.bodies)
        #expect(fromCSV.errors.count == 1)
        #expect(fromCSV.errors.first?["line"] == 5, "the bad row's line: header, three rows, then it")
        #expect(fromCSV.errors.first?["error"]?.stringValue?.contains("stray quote") == true)
        #expect(fromCSV.bodies.first?["data"]?.arrayValue?.first?["properties"]?["description"] == "plain")
        #expect(fromCSV.bodies[3]["data"]?.arrayValue?.first?["properties"]?["description"] == "two\nlines")

        // The same file named .txt is read as CSV when told so, and as NDJSON otherwise.
        try FileManager.default.copyItem(atPath: directory.file("orders.csv"), toPath: directory.file("orders.txt"))
        let told = try await Self.dryRun(directory.file("orders.txt"), in: directory, name: "told", extra: ["--input-format", "csv"])
        #expect(told.bodies == fromCSV.bodies)
        let untold = try await Self.dryRun(directory.file("orders.txt"), in: directory, name: "untold")
        #expect(untold.bodies.isEmpty && !untold.errors.isEmpty)
    }

    @Test(arguments: [(";", "semicolon"), ("tab", "tab")])
    func otherDelimiters(delimiter: String, name: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        try Self.mapping.write(toFile: directory.file("till.yaml"), atomically: true, encoding: .utf8)
        let separator = delimiter == "tab" ? "\t" : delimiter
        let csv = Self.columns.joined(separator: separator) + "\n" + ["A-1", "ann@example.com", "12.50", "x, y", "2026-12-01T10:00:00Z"].joined(separator: separator) + "\n"
        try csv.write(toFile: directory.file("orders.csv"), atomically: true, encoding: .utf8)
        let result = try await Self.dryRun(directory.file("orders.csv"), in: directory, name: name, extra: ["--csv-delimiter", delimiter])
        #expect(result.bodies.count == 1 && result.bodies.first?["data"]?.arrayValue?.first?["event_id"] == "A-1")
    }

    @Test func aBadHeaderOrBadOptionsAreClearErrors() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        try Self.mapping.write(toFile: directory.file("till.yaml"), atomically: true, encoding: .utf8)
        try "Order ID,,Email\nA-1,x,a@b.co\n".write(toFile: directory.file("bad.csv"), atomically: true, encoding: .utf8)
        let run = try ToolProcess(["dry-run", "--mapping", directory.file("till.yaml"), "--input", directory.file("bad.csv"), "--event-set-id", "s"],
                                  in: directory, name: "bad-header")
        #expect(await run.wait() != 0)
        #expect(run.stderr.contains("column 2 of the header has no name"), "\(run.stderr)")
        for (flags, message) in [(["--input-format", "xml"], "--input-format must be csv or ndjson"),
                                 (["--csv-delimiter", "ab"], "--csv-delimiter must be one"),
                                 (["--input-format", "ndjson", "--csv-delimiter", ";"], "--csv-delimiter is for CSV input")] {
            let bad = try ToolProcess(["dry-run", "--input", directory.file("bad.csv"), "--event-set-id", "s"] + flags, in: directory, name: "flags")
            #expect(await bad.wait() != 0)
            #expect(bad.stderr.contains(message), "\(bad.stderr)")
        }
    }

    /// The shipped till export through the shipped mapping: a valid CompletePayment per order
    /// with one content item per SKU and phones given the default country code; delivered.
    @Test func theShippedTillExportIsDelivered() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let csv = try await Samples.path("pos-export.csv")
        let mapping = root.appendingPathComponent("samples/mappings/pos-purchase.yaml").path
        let flags = ["--mapping", mapping, "--input", csv, "--event-set-id", "set-1", "--default-country-code", "1"]
        let dryRun = try ToolProcess(["dry-run"] + flags, in: directory, name: "dry-run")
        #expect(await dryRun.wait() == 0, "\(dryRun.stderr)")
        let lines = try dryRun.stdout.split(separator: "\n").map { try JSON.parse(String($0)) }
        let elements = lines.compactMap { $0["body"]?["data"]?.arrayValue?.first }
        #expect(lines.count == 8 && elements.count == 7, "one walk-in without email or phone is refused: \(lines.filter { $0["error"] != nil })")
        let text = try String(contentsOfFile: csv, encoding: .utf8)
        for element in elements {
            #expect(element["event"] == "CompletePayment")
            let id = try #require(element["event_id"]?.stringValue)
            let row = try #require(text.split(separator: "\r\n").first { $0.hasPrefix(id + ",") })
            let skus = row.split(separator: ",").first { $0.contains("SKU-") }.map { $0.split(separator: ";").count } ?? 0
            #expect(element["properties"]?["contents"]?.arrayValue?.count == skus, "\(id)")
            #expect(element["properties"]?["contents"]?.arrayValue?.first?["quantity"]?.doubleValue != nil, "quantities are numbers")
        }
        // (415) 555-0134 with the default country code 1 is +14155550134, hashed.
        let first = try #require(elements.first { $0["event_id"] == "POS-100231" })
        #expect(first["user"]?["phone"]?.arrayValue?.first?.stringValue == SHA256Hex.hash("+14155550134"))

        let mock = try await MockProcess(in: directory)
        let run = try ToolProcess(["run"] + flags + ["--endpoint", mock.baseURL, "--access-token", "t", "--outbox", directory.file("o.sqlite"),
                                                     "--json-summary"], in: directory, name: "run")
        #expect(await run.wait() == 0, "\(run.stderr)")
        #expect(try await mock.uniqueEvents() == 7)
        // run's summary carries the match quality dry-run --report gives for the same rows.
        let report = try ToolProcess(["dry-run", "--report", "--json-summary"] + flags, in: directory, name: "report")
        #expect(await report.wait() == 0)
        let summary = try JSON.parse(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(summary["match_quality"] == (try JSON.parse(try #require(report.stderr.split(separator: "\n").last.map(String.init)))))
        #expect(summary["match_quality"]?["mappings"]?.arrayValue?.first?["no_identifier"] == 1)
        let textRun = try ToolProcess(["run"] + flags + ["--endpoint", mock.baseURL, "--access-token", "t", "--outbox", directory.file("o2.sqlite")],
                                   in: directory, name: "run-text")
        #expect(await textRun.wait() == 0)
        #expect(textRun.stdout.contains("match quality") && textRun.stdout.contains("POS Purchase"), "\(textRun.stdout)")
        await mock.stop()
    }
}
