import Foundation
import JSONKit
import MappingKit
import Testing

@testable import ConversionEngine

/// CSV rows as the engine sees them: one JSON object per row, or one refused entry naming the problem.
@Suite struct CSVSourceTests {
    /// What `source` hands on: `line:object` for each event, `line!reason` for each refused row.
    static func read(_ source: CSVSource, batch: Int = 3) throws -> [String] {
        var out: [String] = []
        var events = RawEvents()
        repeat {
            events.removeAll()
            try source.read(upTo: batch, into: &events)
            for entry in events.entries {
                if let range = entry.bytes {
                    out.append("\(entry.number):" + String(decoding: events.storage[range], as: UTF8.self))
                } else {
                    out.append("\(entry.number)!" + (entry.problem ?? "oversize \(entry.size)"))
                }
            }
        } while !events.isEmpty
        return out
    }

    static func read(_ text: String, delimiter: Character = ",", maxEventBytes: Int = 1 << 20) throws -> [String] {
        try read(CSVSource(bytes: Array(text.utf8), delimiter: delimiter.asciiValue!, maxEventBytes: maxEventBytes))
    }

    static let rows: [(name: String, csv: String, events: [String])] = [
        ("plain", "a,b\n1,2\n3,4\n", [#"2:{"a":"1","b":"2"}"#, #"3:{"a":"3","b":"4"}"#]),
        ("no final newline", "a,b\n1,2", [#"2:{"a":"1","b":"2"}"#]),
        ("CRLF and a BOM", "\u{FEFF}a,b\r\n1,2\r\n", [#"2:{"a":"1","b":"2"}"#]),
        ("quoted comma, quote and newline", "a,b\n\"x, y\",\"say \"\"hi\"\"\nthere\"\n5,6\n",
         [#"2:{"a":"x, y","b":"say \"hi\"\nthere"}"#, #"4:{"a":"5","b":"6"}"#]),
        ("empty cells are left out", "a,b,c\n,2,\n\"\",,\n", [#"2:{"b":"2"}"#, "3:{}"]),
        ("blank lines are skipped", "a\n\n1\n\r\n2\n", [#"3:{"a":"1"}"#, #"5:{"a":"2"}"#]),
        ("a trailing delimiter is an empty last field", "a,b\n1,\n", [#"2:{"a":"1"}"#]),
        ("backslashes and tabs are escaped", "a\n\"c:\\d\te\"\n", [#"2:{"a":"c:\\d\te"}"#]),
        ("header names are trimmed", " First Name ,Order Total\nAnn,9.50\n", [#"2:{"First Name":"Ann","Order Total":"9.50"}"#]),
        ("UTF-8 passes", "name\nJosé 東京\n", [#"2:{"name":"José 東京"}"#]),
        ("too few fields", "a,b\n1\n2,3\n", ["2!CSV row: it has 1 field, the header names 2 columns", #"3:{"a":"2","b":"3"}"#]),
        ("too many fields", "a\n1,2\n", ["2!CSV row: it has 2 fields, the header names 1 columns"]),
        ("stray quote in a bare field", "a,b\n1,x\"y\n2,3\n",
         ["2!CSV row: field 2 has a stray quote (quote the whole field and double the quotes in it)", #"3:{"a":"2","b":"3"}"#]),
        ("text after a closing quote", "a,b\n\"1\"x,2\n3,4\n",
         ["2!CSV row: text follows the closing quote of field 1 (a stray quote?)", #"3:{"a":"3","b":"4"}"#]),
        ("a quote never closed", "a,b\n1,\"open\n3,4\n",
         ["2!CSV row: field 2 opens a quote that is never closed", #"3:{"a":"3","b":"4"}"#]),
    ]

    @Test(arguments: rows)
    func turnsRowsIntoObjectsOrNamedProblems(name: String, csv: String, events: [String]) throws {
        #expect(try Self.read(csv) == events, "\(name)")
    }

    @Test func invalidUTF8IsOneRefusedRow() throws {
        var bytes = Array("a,b\n1,".utf8) + [0xFF, 0xFE] + Array("\n2,3\n".utf8)
        let source = CSVSource(bytes: bytes, maxEventBytes: 1 << 20)
        #expect(try Self.read(source) == [#"2!CSV row: the value in column "b" is not UTF-8 text"#, #"3:{"a":"2","b":"3"}"#])
        bytes = Array("ok\n".utf8)
        #expect(try Self.read(CSVSource(bytes: bytes)) == [])
    }

    @Test(arguments: [(";", "a;b\n\"1;2\";3\n", #"2:{"a":"1;2","b":"3"}"#), ("\t", "a\tb\n1,2\t3\n", #"2:{"a":"1,2","b":"3"}"#)])
    func readsOtherDelimiters(delimiter: String, csv: String, event: String) throws {
        #expect(try Self.read(csv, delimiter: Character(delimiter)) == [event])
    }

    @Test(arguments: [
        ("", "the input is empty"), ("a,,b\n", "column 2 of the header has no name"),
        ("a,b,a\n", "the header names column \"a\" twice"), ("a,\"b\n", "the header row cannot be read"),
    ])
    func aBadHeaderEndsTheInput(csv: String, message: String) throws {
        #expect { try Self.read(csv) } throws: { error in
            (error as? CSVHeaderError)?.message.contains(message) == true
        }
    }

    /// Read from a file, a row over the limit is skipped to the end of its line; held in memory
    /// (an upload), it is read whole and refused by its size.
    @Test func rowsOverTheLimitAreRefusedAndReadingGoesOn() throws {
        // Longer than the limit and a read chunk: the reader cannot hold it.
        let long = String(repeating: "x", count: 300_000)
        let text = "a\n\(long)\nok\n\"\(long)\n\"\nafter\n"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString).csv").path
        try #require(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        let events = try Self.read(CSVSource(fileDescriptor: fd, maxEventBytes: 1_000))
        #expect(events.count == 5, "\(events.map { $0.prefix(60) })")
        #expect(events[0].hasPrefix("2!CSV row: the row is over 1000 bytes"))
        #expect(events[1] == #"3:{"a":"ok"}"#)
        #expect(events[2].hasPrefix("4!CSV row: the row is over 1000 bytes"), "the quoted field's line")
        #expect(events[3].hasPrefix("5!CSV row: field 1 opens a quote that is never closed"), "its closing quote, seen as an opening one")
        #expect(events.last == #"6:{"a":"after"}"#, "reading resumes after the long line")
        #expect(try Self.read(text, maxEventBytes: 1_000) == [
            "2!CSV row: the event it makes is 300008 bytes, over the limit of 1000 bytes", #"3:{"a":"ok"}"#,
            "4!CSV row: the event it makes is 300010 bytes, over the limit of 1000 bytes", #"6:{"a":"after"}"#,
        ], "the reason names the row limit, not the JSON reader's")
    }

    /// From a file, across chunk boundaries, with a field that spans lines.
    @Test func streamsFromAFileAcrossChunks() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString).csv").path
        var text = "id,note\n"
        for n in 0..<20_000 { text += "\(n),\"line one\nline \"\"two\"\", \(n)\"\n" }
        try #require(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        let events = try Self.read(CSVSource(fileDescriptor: fd), batch: 1_000)
        #expect(events.count == 20_000)
        #expect(events.last == #"40000:{"id":"19999","note":"line one\nline \"two\", 19999"}"#)
    }
}
