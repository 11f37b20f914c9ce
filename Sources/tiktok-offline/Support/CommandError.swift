import ArgumentParser
import Foundation

/// The command-line tool's one error: a problem already worded for the user. It is printed on
/// stderr as it is (with `error: ` in front unless it already names its place, like
/// `file:line:column: error: …`) and the command exits 1.
struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }

    /// The line(s) printed for it.
    var printed: String {
        description.hasPrefix("error:") || description.contains(": error:") ? description : "error: " + description
    }
}

enum Terminal {
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

extension ParsableCommand {
    /// Runs `body`, printing a ``CommandError`` (or any other error, as `error: …`) as worded
    /// on stderr and exiting 1.
    func reportingFailures(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let failure as CommandError {
            Terminal.error(failure.printed)
            throw ExitCode.failure
        } catch let exit as ExitCode {
            throw exit
        } catch {
            Terminal.error("error: \(error)")
            throw ExitCode.failure
        }
    }
}
