import Foundation
import Testing

@testable import ConversionEngine

@Suite struct NDJSONReaderTests {
    /// Writes `text` to a temporary file and reads it back line by line.
    func lines(_ bytes: [UInt8], maxLineBytes: Int) throws -> [String] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ndjson-\(UUID().uuidString)").path
        try #require(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var reader = NDJSONReader(fileDescriptor: fd, maxLineBytes: maxLineBytes)
        var out: [String] = []
        while let line = try reader.next() {
            switch line {
            case .text(let number, let range):
                out.append("\(number):" + reader.withBytes(range) { String(decoding: $0, as: UTF8.self) })
            case .tooLong(let number, let bytes):
                out.append("\(number):too long (\(bytes))")
            }
        }
        return out
    }

    @Test func splitsLinesAndCountsPhysicalLines() throws {
        #expect(try lines(Array("a\r\n\nb\nc".utf8), maxLineBytes: 10) == ["1:a", "2:", "3:b", "4:c"])
    }

    @Test func reportsOverlongLinesAndCarriesOn() throws {
        let long = String(repeating: "x", count: 600_000)
        let input = Array("ok\n\(long)\(long)\nafter\n\(long)".utf8)
        #expect(try lines(input, maxLineBytes: 1 << 20) == ["1:ok", "2:too long (1200000)", "3:after", "4:\(long)"])
    }

    @Test func readsAcrossChunkBoundaries() throws {
        let line = String(repeating: "y", count: 100_000)
        let input = Array((1...30).map { "\($0)\(line)" }.joined(separator: "\n").utf8)
        let read = try lines(input, maxLineBytes: 1 << 20)
        #expect(read.count == 30)
        #expect(read.last == "30:30\(line)")
    }
}
