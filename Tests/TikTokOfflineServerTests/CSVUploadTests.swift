import CompressNIO
import Foundation
import JSONKit
import MappingKit
import NIOCore
import ProcessTesting
import Testing

/// `POST /v1/csv` against a real `serve` and a real stand-in: the shipped till export through the
/// shipped mapping, uploads larger than one batch, bad rows, bad uploads, and the match-quality
/// figures the upload, `/match-quality` and `/metrics` report.
@Suite("serve: CSV uploads (processes)", .timeLimit(.minutes(5)))
struct CSVUploadTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let mapping = root.appendingPathComponent("samples/mappings/pos-purchase.yaml").path
    static let flags = ["--mapping", mapping, "--default-country-code", "1", "--stale-events", "off"]
    static let auth = ("Authorization", ServeProcess.basicAuth)
    static let admin = [("Authorization", "Bearer \(ServeProcess.adminToken)")]

    /// `rows` till rows with distinct order ids, every one with an email.
    static func tillExport(_ rows: Range<Int>, delimiter: String = ",") -> String {
        var lines = [["Order ID", "Store ID", "Timestamp", "Email", "Items", "Total", "Currency"].joined(separator: delimiter)]
        for n in rows {
            lines.append(["T-\(n)", "SF-01", "2026-11-28T10:04:12-08:00", "buyer\(n)@example.com", "SKU-\(n % 7):1:9.50", "9.50", "USD"]
                .joined(separator: delimiter))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// The shipped export: 7 of its 8 rows stored (a walk-in with neither email nor phone is
    /// refused, by line), delivered once the service drains; the answer's, `/match-quality`'s
    /// and `dry-run --report`'s figures agree.
    @Test func theShippedTillExportIsStoredAndDelivered() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let csv = try await Samples.path("pos-export.csv")
        let mock = try await MockProcess(in: directory)
        let serve = try await ServeProcess(mock: mock, in: directory, flags: Self.flags)
        let body = Array(try Data(contentsOf: URL(fileURLWithPath: csv)))
        let reply = try await serve.post("/v1/csv", body, headers: [Self.auth, ("Content-Type", "text/csv")])
        #expect(reply.status == 200, "\(reply.body)")
        let answer = try #require(reply.json)
        #expect(answer["received"] == 8 && answer["stored"] == 7 && answer["rejected"] == 1 && answer["refused_total"] == 1, "\(reply.body)")
        let refused = try #require(answer["refused"]?.arrayValue?.first)
        #expect(refused["mapping"] == "POS Purchase" && refused["reason"]?.stringValue?.hasPrefix("no valid identifier") == true)
        let line = try #require(refused["line"]?.doubleValue.map { Int($0) })
        let text = try String(contentsOfFile: csv, encoding: .utf8)
        #expect(!text.components(separatedBy: "\r\n")[line - 1].contains("@"), "the refused line is the row without an email")

        let dryRun = try ToolProcess(["dry-run", "--input", csv, "--event-set-id", "s", "--report", "--json-summary"] + Self.flags,
                                     in: directory, name: "report")
        #expect(await dryRun.wait() == 0)
        let report = try JSON.parse(try #require(dryRun.stderr.split(separator: "\n").last.map(String.init)))
        #expect(answer["match_quality"] == report, "the upload's figures are dry-run's")
        let sinceStart = try await serve.get("/match-quality", headers: Self.admin)
        #expect(sinceStart.json == report)
        #expect(try await serve.get("/match-quality").status == 401)
        let metrics = try await serve.get("/metrics", headers: Self.admin).body
        #expect(metrics.contains(#"match_records_total{mapping="POS Purchase"} 8"#), "\(metrics)")
        #expect(metrics.contains(#"match_identifier_records_total{mapping="POS Purchase",identifier="phone"}"#))
        #expect(metrics.contains(#"match_no_identifier_total{mapping="POS Purchase"} 1"#))
        #expect(metrics.contains(#"ingest_events_total{route="/v1/csv",outcome="stored"} 7"#))

        #expect(await serve.stop() == 0)
        #expect(serve.tool.stderr.contains("match quality"), "the table is printed when the service stops")
        #expect(!serve.tool.stderr.lowercased().contains("example.com"), "no raw email in the service's output")
        #expect(try await mock.uniqueEvents() == 7)
        await mock.stop()
    }

    /// 4,500 rows (five queue batches), tab-separated and gzipped, with one stray quote in the
    /// middle: every other row is stored and delivered; an upload sent again carries the same
    /// event_ids (the order ids), so TikTok counts each order once.
    @Test func aLargeUploadIsStoredInChunksAndOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(in: directory)
        let serve = try await ServeProcess(mock: mock, in: directory, flags: Self.flags)
        var rows = Self.tillExport(0..<4_500, delimiter: "\t").components(separatedBy: "\r\n")
        rows[2_001] = "T-bad\t\"SF-01\tbroken"
        var buffer = ByteBuffer(bytes: Array(rows.joined(separator: "\r\n").utf8))
        let gzipped = Array(try buffer.compress(with: .gzip()).readableBytesView)
        let headers = [Self.auth, ("Content-Type", "text/tab-separated-values"), ("Content-Encoding", "gzip")]
        let reply = try await serve.post("/v1/csv", gzipped, headers: headers)
        #expect(reply.status == 200, "\(reply.body)")
        #expect(reply.json?["received"] == 4_500 && reply.json?["stored"] == 4_499 && reply.json?["unreadable_rows"] == 1, "\(reply.body)")
        #expect(reply.json?["refused"]?.arrayValue?.first?["line"] == 2_002, "\(reply.body)")
        let again = try await serve.post("/v1/csv", gzipped, headers: headers)
        #expect(again.status == 200 && again.json?["stored"] == 4_499)
        #expect(await serve.stop() == 0)
        #expect(try await mock.uniqueEvents() == 4_499, "an upload sent twice counts once (event_id is the order id)")
        await mock.stop()
    }

    /// An upload answered 200 is stored: a service that only stores (`--no-deliver`) is
    /// SIGKILLed the moment the answer arrives, and a new one on the same outbox delivers every row.
    @Test func anAcknowledgedUploadSurvivesKillNine() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(in: directory)
        let outbox = directory.file("outbox.sqlite")
        let storing = try await ServeProcess(mock: mock, in: directory, outbox: outbox, flags: Self.flags + ["--no-deliver"], name: "storing")
        let reply = try await storing.post("/v1/csv", Array(Self.tillExport(0..<5_000).utf8), headers: [Self.auth])
        storing.tool.signal(SIGKILL)
        #expect(reply.status == 200 && reply.json?["stored"] == 5_000, "\(reply.body)")
        #expect(await storing.tool.wait() == SIGKILL)
        #expect(try await mock.uniqueEvents() == 0, "nothing was sent before the kill")
        let delivering = try await ServeProcess(mock: mock, in: directory, outbox: outbox, flags: Self.flags + ["--drain-timeout", "60"], name: "delivering")
        #expect(await delivering.stop() == 0, "\(delivering.tool.stderr)")
        #expect(try await mock.uniqueEvents() == 5_000)
        await mock.stop()
    }

    /// A disk that fills midway through an upload: the answer is a 503 that says how many rows
    /// were stored and from which line to send again, the service keeps answering, and what it
    /// stored is all there. The outbox lives on a 2 MB tmpfs (needs the right to mount one;
    /// skipped otherwise).
    @Test(.enabled(if: TinyDisk.canMount, "mounting a tmpfs needs root"))
    func aDiskThatFillsMidwaySaysWhatWasStored() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let disk = try TinyDisk(at: directory.file("disk"), megabytes: 2)
        defer { disk.unmount() }
        let mock = try await MockProcess(in: directory)
        let outbox = disk.path + "/outbox.sqlite"
        let serve = try await ServeProcess(mock: mock, in: directory, outbox: outbox, flags: Self.flags + ["--no-deliver"])
        let reply = try await serve.post("/v1/csv", Array(Self.tillExport(0..<20_000).utf8), headers: [Self.auth])
        #expect(reply.status == 503, "\(reply.body)")
        let stored = try #require(reply.json?["stored"]?.doubleValue.map { Int($0) })
        let nextLine = try #require(reply.json?["stored_before_line"]?.doubleValue.map { Int($0) })
        #expect(stored > 0 && stored < 20_000, "\(reply.body)")
        #expect(stored == nextLine - 2, "every row before the line is stored (the header is line 1)")
        #expect(reply.body.contains("could not be stored"), "\(reply.body)")
        #expect(try await serve.get("/healthz").status == 200)
        // Not ready while events cannot be stored, saying why: a balancer sends traffic elsewhere.
        let ready = try await serve.get("/readyz")
        #expect(ready.status == 503 && ready.json?["reason"]?.stringValue?.contains("events cannot be stored") == true, "\(ready.body)")
        #expect(await serve.stop() == 0, "\(serve.tool.stderr)")
        // The stored rows, delivered from a copy of the outbox on a disk with room.
        let copy = directory.file("copy.sqlite")
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: outbox + suffix) {
            try FileManager.default.copyItem(atPath: outbox + suffix, toPath: copy + suffix)
        }
        let deliver = try ToolProcess(["deliver", "--outbox", copy, "--endpoint", mock.baseURL, "--access-token", "t", "--event-set-id", "set-1"], in: directory, name: "deliver")
        #expect(await deliver.wait() == 0, "\(deliver.stderr)")
        #expect(try await mock.uniqueEvents() == stored)
        await mock.stop()
    }

    struct BadUpload: Sendable, CustomTestStringConvertible {
        var name: String
        var path = "/v1/csv"
        var body: String
        var headers: [(String, String)]
        var status: Int
        var answer: String
        var testDescription: String { name }
    }

    static let badUploads: [BadUpload] = [
        .init(name: "no write key", body: tillExport(0..<2), headers: [], status: 401, answer: "needs a write key"),
        .init(name: "unknown write key", body: tillExport(0..<2), headers: [("Authorization", "Basic " + Data("nope:".utf8).base64EncodedString())],
              status: 401, answer: "needs a write key"),
        .init(name: "empty body", body: "", headers: [auth], status: 400, answer: "the input is empty"),
        .init(name: "header with an unnamed column", body: "Order ID,,Email\r\nA,b,c\r\n", headers: [auth], status: 400, answer: "has no name"),
        .init(name: "bad delimiter", path: "/v1/csv?delimiter=ab", body: tillExport(0..<2), headers: [auth], status: 400, answer: "delimiter must be"),
        .init(name: "over --max-upload-bytes", body: tillExport(0..<2_000), headers: [auth], status: 413, answer: "over the limit of 65536 bytes"),
        .init(name: "semicolons, named in the query", path: "/v1/csv?delimiter=%3B", body: tillExport(0..<3, delimiter: ";"), headers: [auth],
              status: 200, answer: #""stored":3"#),
        .init(name: "a row with too few fields", body: tillExport(0..<3) + "T-9,SF-01\r\n", headers: [auth], status: 200,
              answer: #""refused":[{"line":5,"reason":"CSV row: "#),
        .init(name: "a row over the per-event limit names that limit", body: "Order ID,Note\r\nA," + String(repeating: "x", count: 40_000) + "\r\n",
              headers: [auth], status: 200, answer: "the event it makes is 40026 bytes, over the limit of 32768 bytes"),
    ]

    @Test(arguments: badUploads)
    func badUploadsAreExplained(_ upload: BadUpload) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(in: directory)
        let serve = try await ServeProcess(mock: mock, in: directory, flags: Self.flags + ["--max-upload-bytes", "65536"])
        let reply = try await serve.post(upload.path, Array(upload.body.utf8), headers: upload.headers)
        #expect(reply.status == upload.status, "\(reply.body)")
        #expect(reply.body.contains(upload.answer), "\(reply.body)")
        #expect(await serve.stop() == 0)
        await mock.stop()
    }
}

extension CSVUploadTests {
    /// An upload of which nothing was stored says so plainly, not only by `"stored":0`: rows
    /// that no mapping fires for (the shipped presets read Segment events, not till rows), and a
    /// header without rows; an upload that stored something carries no such warning.
    @Test(arguments: [
        ([String](), tillExport(0..<4), "nothing was stored: of 4 rows, 4 fired no enabled mapping"),
        (flags, "Order ID,Email\r\n", "nothing was stored: the file has no rows under its header"),
        (flags, tillExport(0..<2), nil),
    ] as [([String], String, String?)])
    func anUploadThatStoredNothingSaysSo(flags: [String], body: String, warning: String?) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(in: directory)
        let serve = try await ServeProcess(mock: mock, in: directory, flags: flags)
        let reply = try await serve.post("/v1/csv", Array(body.utf8), headers: [Self.auth, ("Content-Type", "text/csv")])
        #expect(reply.status == 200, "\(reply.body)")
        let answer = try #require(reply.json)
        if let warning {
            #expect(answer["stored"] == 0 && answer["nothing_stored"] == true, "\(reply.body)")
            #expect(answer["warning"]?.stringValue?.hasPrefix(warning) == true, "\(reply.body)")
        } else {
            #expect(answer["stored"] == 2 && answer["nothing_stored"] == nil && answer["warning"] == nil, "\(reply.body)")
        }
        #expect(await serve.stop() == 0)
        await mock.stop()
    }

    /// A gzipped upload is held to the limit by what it inflates to: 80,000 bytes of CSV under a
    /// 65,536-byte limit (CompressNIO's own bound let a 41.8 MB upload through 32 MiB).
    @Test func aGzippedUploadThatInflatesPastTheLimitIsRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let mock = try await MockProcess(in: directory)
        let serve = try await ServeProcess(mock: mock, in: directory, flags: Self.flags + ["--max-upload-bytes", "65536"])
        var csv = Self.tillExport(0..<2)
        csv += String(repeating: "T-x,SF-01,2026-11-28T10:04:12-08:00,,,1.00,USD\r\n", count: (80_000 - csv.utf8.count) / 47 + 1)
        #expect(csv.utf8.count > 80_000)
        var buffer = ByteBuffer(bytes: Array(csv.utf8))
        let gzipped = Array(try buffer.compress(with: .gzip()).readableBytesView)
        #expect(gzipped.count < 65_536)
        let reply = try await serve.post("/v1/csv", gzipped, headers: [Self.auth, ("Content-Encoding", "gzip")])
        #expect(reply.status == 413, "\(reply.body)")
        #expect(reply.body.contains("over the limit of 65536 bytes"), "\(reply.body)")
        #expect(await serve.stop() == 0)
        #expect(try await mock.uniqueEvents() == 0)
        await mock.stop()
    }
}

/// A small tmpfs, to fill a disk on purpose.
struct TinyDisk {
    let path: String

    static let canMount: Bool = {
        guard geteuid() == 0 else { return false }
        let probe = NSTemporaryDirectory() + "tiny-disk-probe-\(UUID().uuidString)"
        guard (try? TinyDisk(at: probe, megabytes: 1)).map({ $0.unmount(); return true }) == true else { return false }
        return true
    }()

    init(at path: String, megabytes: Int) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard runToEnd("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path]) == 0 else {
            throw CocoaError(.fileWriteNoPermission)
        }
        self.path = path
    }

    func unmount() {
        _ = runToEnd("/bin/umount", [path])
        try? FileManager.default.removeItem(atPath: path)
    }
}
