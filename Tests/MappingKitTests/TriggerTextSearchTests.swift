import Foundation
import JSONKit
@testable import MappingKit
import Testing

/// `contains` and the other text tests run in time linear in the field plus the pattern:
/// triggers come from shared files and fields from anyone.
@Suite struct TriggerTextSearchTests {
    /// The search agrees with a plain scan on small texts over a two-letter alphabet, where
    /// partial matches overlap the most.
    @Test func agreesWithAPlainScan() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<3_000 {
            let needle = (0..<Int.random(in: 1...8, using: &random)).map { _ in Bool.random(using: &random) ? "a" : "b" }.joined()
            let haystack = (0..<Int.random(in: 0...40, using: &random)).map { _ in Bool.random(using: &random) ? "a" : "b" }.joined()
            let expected = haystack.contains(needle)
            #expect(ExactText(needle).occurs(in: haystack, at: .anywhere) == expected, "\(needle) in \(haystack)")
        }
    }

    @Test(arguments: [
        ("abcabd", "abcabcabd", true), ("aab", "aaab", true), ("é", "café", true), ("é", "cafe\u{301}", false),
        ("", "", true), ("x", "", false), ("needle", "needl", false), ("abab", "abaabab", true),
    ])
    func findsOverlappingPrefixes(needle: String, haystack: String, expected: Bool) {
        #expect(ExactText(needle).occurs(in: haystack, at: .anywhere) == expected)
    }

    /// The worst case of a plain scan: a pattern of `a`s ending in `b`, over a field of `a`s.
    private func secondsToMatch(fieldBytes: Int, patternBytes: Int, events: Int) throws -> Double {
        let pattern = String(repeating: "a", count: patternBytes - 1) + "b"
        let trigger = try Trigger(#"contains(properties.blob, "\#(pattern)")"#)
        let event: JSON = ["properties": ["blob": .string(String(repeating: "a", count: fieldBytes))]]
        // The thread's CPU time, not the wall clock: other processes on the machine (a build, other
        // tests) then cannot make one size look slower than the other. Nothing here suspends, so
        // the loop stays on one thread.
        let start = Self.threadCPUSeconds()
        for _ in 0..<events { #expect(!trigger.matches(event)) }
        return Self.threadCPUSeconds() - start
    }

    private static func threadCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Ten times the field and ten times the pattern take about ten times as long, not a hundred.
    @Test(.timeLimit(.minutes(2)))
    func timeIsLinearInFieldPlusPattern() throws {
        _ = try secondsToMatch(fieldBytes: 10_000, patternBytes: 160, events: 2)  // warm up
        var small = Double.infinity, large = Double.infinity
        for _ in 0..<3 {
            small = min(small, try secondsToMatch(fieldBytes: 90_000, patternBytes: 1_600, events: 10))
            large = min(large, try secondsToMatch(fieldBytes: 900_000, patternBytes: 16_000, events: 1) * 10)
        }
        let ratio = large / small
        #expect(ratio < 30, "10× the input took \(ratio)× the time (\(small) s against \(large) s)")
    }
}
