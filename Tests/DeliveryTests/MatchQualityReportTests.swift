import ConversionEngine
import Foundation
import JSONKit
import MappingKit
import ProcessTesting
import Testing

/// `dry-run --report` over the bundled corpus: its figures against a count made here from the
/// dry-run's own bodies.
@Suite("match quality report (processes)", .timeLimit(.minutes(2)))
struct MatchQualityReportTests {
    @Test func theReportAgreesWithTheBodies() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("TikTokOfflineTests/Fixtures/corpus/segment-events-2000.ndjson").path
        let run = try ToolProcess(["dry-run", "--enable-all", "--input", corpus, "--event-set-id", "s", "--stale-events", "off",
                                   "--report", "--json-summary"], in: directory, name: "report")
        #expect(await run.wait() == 0)
        let report = try JSON.parse(try #require(run.stderr.split(separator: "\n").last.map(String.init)))

        struct Count: Equatable { var records = 0, email = 0, phone = 0, externalID = 0, ttclid = 0, ipAndUA = 0, none = 0 }
        var counted: [String: Count] = [:]
        for line in run.stdout.split(separator: "\n") {
            let json = try JSON.parse(String(line))
            guard let mapping = json["mapping"]?.stringValue else { continue }
            var count = counted[mapping] ?? Count()
            count.records += 1
            if let user = json["body"]?["data"]?.arrayValue?.first?["user"] {
                if user["email"]?.arrayValue?.isEmpty == false { count.email += 1 }
                if user["phone"]?.arrayValue?.isEmpty == false { count.phone += 1 }
                if user["external_id"]?.arrayValue?.isEmpty == false { count.externalID += 1 }
                if user["ttclid"] != nil { count.ttclid += 1 }
                if user["ip"] != nil && user["user_agent"] != nil { count.ipAndUA += 1 }
            }
            if json["error"]?.stringValue?.hasPrefix("no valid identifier") == true { count.none += 1 }
            counted[mapping] = count
        }
        let rows = try #require(report["mappings"]?.arrayValue)
        #expect(rows.count == 15)
        for row in rows {
            let mapping = try #require(row["mapping"]?.stringValue)
            func int(_ key: String) -> Int { Int(row[key]?.doubleValue ?? -1) }
            let reported = Count(records: int("records"), email: int("email"), phone: int("phone"), externalID: int("external_id"),
                                 ttclid: int("ttclid"), ipAndUA: int("ip_and_user_agent"), none: int("no_identifier"))
            #expect(reported == counted[mapping], "\(mapping)")
        }

        let table = try ToolProcess(["dry-run", "--enable-all", "--input", corpus, "--event-set-id", "s", "--stale-events", "off", "--report"],
                                    in: directory, name: "table")
        #expect(await table.wait() == 0)
        #expect(table.stderr.contains("mapping") && table.stderr.contains("Complete Payment") && table.stderr.contains("no identifier"))
        #expect(!table.stdout.contains("match quality"), "stdout stays the NDJSON it is")
    }

    /// A phone without a country code is sent as Segment sends it, with a warning on the record,
    /// and counted apart; with `--default-country-code` it is completed and not counted so.
    @Test(arguments: [(nil, 1, "+4155550134"), ("1", 0, "+14155550134")] as [(String?, Int, String)])
    func phonesWithoutACountryCodeAreCountedApart(_ code: String?, _ apart: Int, _ normalized: String) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let input = directory.file("events.ndjson")
        try #"{"type":"track","event":"Order Completed","messageId":"m-1","timestamp":"2026-01-01T00:00:00Z","properties":{"phone":"(415) 555-0134","order_id":"o-1","revenue":5,"currency":"USD"}}"#
            .appending("\n").write(toFile: input, atomically: true, encoding: .utf8)
        let run = try ToolProcess(["dry-run", "--input", input, "--event-set-id", "s", "--stale-events", "off", "--report", "--json-summary"]
                                  + (code.map { ["--default-country-code", $0] } ?? []), in: directory, name: "report")
        #expect(await run.wait() == 0, "\(run.stderr)")
        let report = try JSON.parse(try #require(run.stderr.split(separator: "\n").last.map(String.init)))
        let row = try #require(report["mappings"]?.arrayValue?.first)
        #expect(row["phone"] == 1)
        #expect(row["phone_without_country_code"]?.doubleValue == Double(apart))
        let line = try JSON.parse(try #require(run.stdout.split(separator: "\n").first.map(String.init)))
        #expect(line["body"]?["data"]?.arrayValue?.first?["user"]?["phone"] == [.string(SHA256Hex.hash(normalized))])
        let trace = try ToolProcess(["dry-run", "--input", input, "--event-set-id", "s", "--stale-events", "off", "--trace"]
                                    + (code.map { ["--default-country-code", $0] } ?? []), in: directory, name: "trace")
        #expect(await trace.wait() == 0)
        #expect((trace.stdout + trace.stderr).contains("phone_numbers: a number without a country code") == (apart == 1), "the record's warning")
        #expect(!run.stdout.contains("415") && !run.stderr.contains("415"), "the number itself is never printed")
    }
}
