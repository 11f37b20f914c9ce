import ArgumentParser
import MappingKit

/// `tiktok-offline test`: runs the `tests:` that mapping files carry.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the tests carried by mapping files and show a diff for each failure."
    )

    @Argument(help: "Mapping files or folders.")
    var paths: [String]

    func run() throws {
        let files: [String]
        do {
            files = try MappingFolder.files(in: paths)
        } catch {
            Terminal.error("error: \(error)")
            throw ExitCode.failure
        }
        var passed = 0
        var failed = 0
        for path in files {
            let file: MappingFile
            do {
                file = try MappingFile.load(path: path)
            } catch let failure as MappingFileError {
                for diagnostic in failure.errors { print(diagnostic) }
                failed += 1
                continue
            }
            for result in file.runTests() {
                if result.passed {
                    passed += 1
                    print("PASS \(file.name) › \(result.name)")
                } else {
                    failed += 1
                    let location = Diagnostic(.error, "", file: path, at: result.mark)
                    print("FAIL \(file.name) › \(result.name) (\(location.file ?? path):\(location.line ?? 0))")
                    for line in result.failures { print("     \(line)") }
                }
            }
        }
        print("\(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode.failure }
    }
}
