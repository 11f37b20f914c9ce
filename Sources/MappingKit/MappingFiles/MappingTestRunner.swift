import JSONKit

/// The outcome of one of a mapping file's own tests.
public struct MappingTestResult: Sendable {
    public var name: String
    public var mark: SourceMark?
    /// Why the test failed, one line per difference; empty when it passed.
    public var failures: [String]

    public var passed: Bool { failures.isEmpty }
}

extension MappingFile {
    /// Runs the file's `tests:`. Pass `mapping` to test the mapping the action really runs
    /// (for example with the action's defaults overlaid); by default the file's own mapping runs.
    public func runTests(with mapping: Mapping? = nil) -> [MappingTestResult] {
        let mapping = mapping ?? compiled
        return tests.map { test in
            MappingTestResult(name: test.name, mark: test.mark, failures: failures(of: test, mapping: mapping))
        }
    }

    private func failures(of test: MappingTestCase, mapping: Mapping) -> [String] {
        let fired = trigger.matches(test.event)
        guard fired == test.fires else {
            return [fired ? "the trigger fired, but the test expects it not to" : "the trigger `\(trigger.source)` did not fire for this event"]
        }
        guard fired, let expect = test.expect else { return [] }
        do {
            guard let actual = try mapping.evaluate(test.event) else {
                return ["the mapping produced no value; expected \(expect)"]
            }
            return JSONDiff.differences(expected: expect, actual: actual)
        } catch {
            return ["the mapping failed: \(error)"]
        }
    }
}

/// Human-readable differences between two JSON values, one line per difference, each naming
/// the path where it is (`/contents/0/price: expected 3, got "3"`).
public enum JSONDiff {
    public static func differences(expected: JSON, actual: JSON) -> [String] {
        var lines: [String] = []
        compare(expected, actual, at: "", into: &lines)
        return lines
    }

    private static func compare(_ expected: JSON, _ actual: JSON, at path: String, into lines: inout [String]) {
        let here = path.isEmpty ? "/" : path
        switch (expected, actual) {
        case (.object(let e), .object(let a)):
            for (key, value) in e {
                if let other = a[key] {
                    compare(value, other, at: path + "/" + key, into: &lines)
                } else {
                    lines.append("\(path)/\(key): missing, expected \(value)")
                }
            }
            for (key, value) in a where e[key] == nil {
                lines.append("\(path)/\(key): unexpected \(value)")
            }
        case (.array(let e), .array(let a)) where e.count == a.count:
            for (index, pair) in zip(e, a).enumerated() {
                compare(pair.0, pair.1, at: "\(path)/\(index)", into: &lines)
            }
        default:
            if expected != actual || expected.typeName != actual.typeName {
                lines.append("\(here): expected \(expected), got \(actual)")
            }
        }
    }
}
