import Foundation
import JSONKit
import MappingKit
import Testing

/// A number a double cannot hold was sent as `null` without a word; now it is refused with a
/// reason, the same way on the fused path (`dry-run`) and on the stages' path (`--trace`).
@Suite(.timeLimit(.minutes(2))) struct NumberRangeTests {
    static let outOfRange = "is a number out of range"

    /// (JSON text of `revenue` or a product's `price`, whether it is refused).
    static let cases: [(String, Bool)] = [
        ("1e400", true), ("-1e400", true), (#""Infinity""#, true), (#""-Infinity""#, true),
        ("\"" + String(repeating: "9", count: 400) + "\"", true), (#""1e-400""#, true),
        ("12.5", false), (#""12.5""#, false), ("0", false), (#""0.000""#, false), ("1.7976931348623157e308", false),
    ]

    static func event(revenue: String, price: String) -> String {
        #"{"type":"track","event":"Order Completed","messageId":"m","timestamp":"2026-01-01T00:00:00Z","properties":{"email":"a@b.co","order_id":"o","revenue":\#(revenue),"currency":"USD","products":[{"product_id":"p","price":\#(price)}]}}"#
    }

    @Test(arguments: cases)
    func outOfRangeNumbersAreRefusedOnBothPaths(_ number: String, _ refused: Bool) async throws {
        let folder = try TemporaryFolder()
        let input = try folder.write("events.ndjson", [Self.event(revenue: number, price: "1"), Self.event(revenue: "5", price: number)].joined(separator: "\n") + "\n")
        for trace in [false, true] {
            let result = try await Tool.run(["dry-run", "--input", input, "--event-set-id", "s", "--stale-events", "off"] + (trace ? ["--trace"] : []))
            #expect(result.status == 0, "\(result.stderr)")
            let lines = try result.stdout.split(separator: "\n").map { try JSON.parse(String($0)) }.filter { $0["line"] != nil && $0["stage"] == nil }
            #expect(lines.count == 2)
            for (line, field) in zip(lines, ["value", "contents[0].price"]) {
                let error = line["error"]?.stringValue ?? ""
                #expect(error.contains("schema: \(field) \(Self.outOfRange)") == refused, "trace \(trace), \(field): \(line)")
                if !refused { #expect(!line.serialized().contains("null"), "no number is sent as null: \(line)") }
            }
        }
    }
}
