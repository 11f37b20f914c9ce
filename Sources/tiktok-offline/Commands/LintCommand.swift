import ArgumentParser
import MappingKit

/// `tiktok-offline lint`: loads mapping files and reports every problem with its location.
struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check mapping files and report every problem as file:line:column: error|warning: message.",
        discussion: "Exits non-zero when any file has an error. Folders are searched for .yaml, .yml and .json files."
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
        var errors = 0
        var warnings = 0
        for path in files {
            let diagnostics: [Diagnostic]
            do {
                diagnostics = try MappingFile.load(path: path).warnings
            } catch let failure as MappingFileError {
                diagnostics = failure.diagnostics
            }
            for diagnostic in diagnostics {
                print(diagnostic)
                if diagnostic.severity == .error { errors += 1 } else { warnings += 1 }
            }
        }
        Terminal.error("\(files.count) file\(files.count == 1 ? "" : "s") checked: \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")")
        if errors > 0 { throw ExitCode.failure }
    }
}
