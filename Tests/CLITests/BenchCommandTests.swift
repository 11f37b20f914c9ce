import Foundation
import Testing

@Suite(.timeLimit(.minutes(2))) struct BenchCommandTests {
    static let outboxStep = "outbox (store, claim, confirm)"

    @Test(arguments: [(flags: [String](), outbox: true), (flags: ["--no-outbox"], outbox: false)])
    func printsEachStepEndToEndAndPeakMemory(flags: [String], outbox: Bool) async throws {
        let result = try await Tool.run(["bench", "--events", "300"] + flags)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("events: 300") == true)
        for step in ["parse", "route (triggers, mapping, schema)", "normalize", "hash", "validate", "send", "print", "end to end"] {
            let line = lines.first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(step) }
            let rate = line.flatMap { Double($0.split(separator: " ").dropLast().last ?? "") }
            #expect(rate.map { $0 > 0 } == true, "\(step): \(line ?? "missing")")
        }
        #expect(lines.contains { $0.contains(Self.outboxStep) } == outbox)
        #expect(lines.last?.hasPrefix("peak memory (max RSS):") == true)
    }

    @Test func refusesANonPositiveEventCount() async throws {
        let result = try await Tool.run(["bench", "--events", "0"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--events and --batch-size must be positive"))
    }
}
