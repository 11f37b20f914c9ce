import Foundation
import JSONKit
import MappingKit
import Testing

/// How the tool reads its NDJSON input.
@Suite(.timeLimit(.minutes(2))) struct InputTests {
    static let order = #"{"type":"track","event":"Order Completed","messageId":"m-1","properties":{"email":"a@example.com","revenue":5}}"#

    /// A UTF-8 byte-order mark before the first event (spreadsheet and editor exports) is not a bad line.
    @Test func aByteOrderMarkAtTheStartIsSkipped() async throws {
        let result = try await Tool.run(["dry-run", "--event-set-id", "s"], stdin: "\u{FEFF}" + Self.order + "\n")
        let lines = try result.stdout.split(separator: "\n").map { try JSON.parse(String($0)) }
        #expect(lines.count == 1 && lines[0]["line"] == 1 && lines[0]["body"] != nil, "\(result.stdout)")
    }
}
