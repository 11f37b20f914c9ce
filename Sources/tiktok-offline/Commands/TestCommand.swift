import ArgumentParser
import ConversionEngine
import MappingKit

/// `tiktok-offline test`: runs the `tests:` that mapping files carry.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the tests carried by mapping files and show a diff for each failure.",
        discussion: """
            With no paths, tests the presets built into the tool. A file that says `defaults: true` \
            is tested with the action's default fields under its own, as it runs.
            """
    )

    @Argument(help: "Mapping files or folders (default: the shipped presets).")
    var paths: [String] = []

    func run() throws {
        try reportingFailures {
            var passed = 0
            var failed = 0
            for entry in try MappingFolder.entries(in: paths) {
                let file: MappingFile
                let mapping: Mapping
                do {
                    file = try entry.load()
                    mapping = try ShippedDestinations.destination(for: file).effectiveMapping(for: file)
                } catch let failure as MappingFileError {
                    failure.errors.forEach { print($0) }
                    failed += 1
                    continue
                } catch let error as EngineError {
                    print(error.diagnostic ?? Diagnostic(.error, error.message, file: entry.path))
                    failed += 1
                    continue
                }
                for result in file.runTests(with: mapping) {
                    if result.passed {
                        passed += 1
                        print("PASS \(file.name) › \(result.name)")
                    } else {
                        failed += 1
                        let line = result.mark.map { ":\($0.line)" } ?? ""
                        print("FAIL \(file.name) › \(result.name) (\(entry.path)\(line))")
                        for difference in result.failures { print("     \(difference)") }
                    }
                }
            }
            print("\(passed) passed, \(failed) failed")
            if failed > 0 { throw ExitCode.failure }
        }
    }
}
