import ArgumentParser
import ConversionEngine
import MappingKit

/// `tiktok-offline lint`: loads mapping files and reports every problem with its location.
struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check mapping files and report every problem as file:line:column: error|warning: message.",
        discussion: """
            With no paths, checks the presets built into the tool. Folders are searched for .yaml, \
            .yml and .json files, subfolders too (not hidden ones, nor actions/, which holds action \
            schemas). Every problem of every file is reported. Exits non-zero when any file has an error.
            """
    )

    @Argument(help: "Mapping files or folders (default: the shipped presets).")
    var paths: [String] = []

    func run() throws {
        try reportingFailures {
            let entries = try MappingFolder.entries(in: paths)
            var errors = 0
            var warnings = 0
            var names: [String: String] = [:]
            var perDestination: [String: Int] = [:]
            func report(_ diagnostic: Diagnostic) {
                print(diagnostic)
                if diagnostic.severity == .error { errors += 1 } else { warnings += 1 }
            }
            for entry in entries {
                do {
                    let file = try entry.load()
                    let destination = ShippedDestinations.destination(for: file)
                    (file.warnings + destination.lint(file)).forEach(report)
                    perDestination[destination.name, default: 0] += 1
                    // Names are unique per destination: both ship a "Complete Payment".
                    if let other = names.updateValue(entry.path, forKey: destination.name + "\u{0}" + file.name) {
                        report(Diagnostic(.error, "another mapping is already named '\(file.name)' (\(other))", file: entry.path, at: file.sourceMap.valueMark(at: "/name")))
                    }
                } catch let failure as MappingFileError {
                    failure.diagnostics.forEach(report)
                }
            }
            for (destination, count) in perDestination.sorted(by: { $0.key < $1.key }) where count > Engine.maxMappings {
                report(Diagnostic(.error, "\(count) mapping files for \(destination); at most \(Engine.maxMappings) are allowed for one destination"))
            }
            Terminal.error("\(entries.count) file\(entries.count == 1 ? "" : "s") checked: \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")")
            if errors > 0 { throw ExitCode.failure }
        }
    }
}
