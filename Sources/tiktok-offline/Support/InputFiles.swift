import ConversionEngine
import Foundation
import JSONKit
import MappingKit
import Synchronization

/// The input file, or stdin.
struct InputFile {
    let descriptor: Int32

    init(path: String?) throws {
        guard let path else {
            descriptor = STDIN_FILENO
            return
        }
        descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw CommandError("\(path): cannot open (\(String(cString: strerror(errno))))") }
    }

    func close() {
        if descriptor != STDIN_FILENO { _ = Foundation.close(descriptor) }
    }
}

/// Refused lines and records as NDJSON (`{"line":N,"mapping":…,"error":…}`), without personal data.
final class RejectsFile {
    private let handle: FileHandle

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CommandError("\(path): cannot create the rejects file")
        }
        self.handle = handle
    }

    func write(_ rejection: Ingest.Rejection) {
        var line: JSONObject = ["line": .int(rejection.line)]
        if let mapping = rejection.mapping { line["mapping"] = .string(mapping) }
        line["error"] = .string(rejection.reason)
        handle.write(Data((JSON.object(line).serialized() + "\n").utf8))
    }

    func close() { try? handle.close() }
}

/// Set once by a signal handler, read at the end.
final class InterruptFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}

