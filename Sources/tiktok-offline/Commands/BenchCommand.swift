import ArgumentParser
import ConversionEngine
import Delivery
import Foundation
import JSONKit
import MappingKit
import OutboxSQLite
import TikTokOffline

/// `tiktok-offline bench`: throughput of each step on an in-memory workload.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measures events/s for each stage and end to end on a realistic in-memory workload, and peak memory."
    )

    @Option(help: "Number of synthetic events.")
    var events = 100_000

    @Option(help: "Events per pipeline run.")
    var batchSize = 512

    @Flag(inversion: .prefixedNo, help: "Also store, claim and confirm each batch's elements in a temporary outbox file, as run does.")
    var outbox = true

    func run() async throws {
        guard events > 0, batchSize > 0 else { throw CommandError("--events and --batch-size must be positive") }
        let settings = TikTokSettings(accessToken: "bench-token", eventSetID: "bench-event-set", partnerName: "Bench")
        let engine: Engine
        do {
            engine = try TikTokDestination.engine(settings: settings, enableAll: true, sink: DryRunSink())
        } catch {
            throw CommandError("\(error)")
        }
        let input = SyntheticWorkload().ndjson(count: events)
        let store = try outbox ? OutboxRoundTrip() : nil
        defer { store?.remove() }
        var timings: [String: Duration] = [:]
        // Routing includes schema coercion, and for a mapping with a fused plan the stages' work
        // too (they then show little time of their own).
        let routing = "route (triggers, mapping, schema)"
        var order = ["parse", routing]
        var printer = DryRunPrinter(destination: TikTokOfflineDestination(settings: settings))
        let clock = ContinuousClock()
        // As run does: one time per batch; mappings with a fused plan prepare their records while routed.
        let now = Engine.currentTime()
        var records = 0
        // As dry-run and run do: each line parsed into one reused document, then routed.
        var document = JSONDocument()
        let total = try await clock.measure {
            var lineStart = 0
            var line = 0
            while lineStart < input.count {
                var batch = Batch()
                var parsing = Duration.zero
                var routeTime = Duration.zero
                for _ in 0..<batchSize where lineStart < input.count {
                    let end = input[lineStart...].firstIndex(of: 0x0A) ?? input.count
                    line += 1
                    let start = clock.now
                    try input.withUnsafeBytes { bytes in
                        try Result { () throws(JSONParseError) in
                            try document.parse(UnsafeRawBufferPointer(rebasing: bytes[lineStart..<end]))
                        }.get()
                    }
                    let parsed = clock.now
                    try? engine.route(document, line: line, into: &batch, preparingAt: now)
                    routeTime += clock.now - parsed
                    parsing += parsed - start
                    lineStart = end + 1
                }
                timings["parse", default: .zero] += parsing
                timings[routing, default: .zero] += routeTime
                var last = clock.now
                try await engine.process(&batch, now: now) { stage, _ in
                    let now = clock.now
                    if timings[stage] == nil { order.append(stage) }
                    timings[stage, default: .zero] += now - last
                    last = now
                }
                timings["print", default: .zero] += clock.measure {
                    for record in batch.records { printer.write(record) }
                    printer.clear()
                }
                if let store {
                    let start = clock.now
                    try await store.roundTrip(batch)
                    timings[OutboxRoundTrip.step, default: .zero] += clock.now - start
                }
                records += batch.count
            }
        }
        order.append("print")
        if store != nil { order.append(OutboxRoundTrip.step) }
        print("events: \(events)   records (event × fired mapping): \(records)   mappings enabled: \(engine.enabledMappings.count)")
        for step in order {
            let seconds = Self.seconds(timings[step] ?? .zero)
            print("  \(step.padding(toLength: 36, withPad: " ", startingAt: 0)) \(Self.rate(events, seconds)) events/s")
        }
        print("  \("end to end".padding(toLength: 36, withPad: " ", startingAt: 0)) \(Self.rate(events, Self.seconds(total))) events/s")
        let workload = String(format: "%.1f", Double(input.count) / 1_048_576)
        print("peak memory (max RSS): \(Self.peakResidentMegabytes()) MB, including the \(workload) MB workload held in memory")
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func rate(_ count: Int, _ seconds: Double) -> String {
        let value = seconds > 0 ? Double(count) / seconds : .infinity
        return String(format: "%12.0f", value)
    }

    static func peakResidentMegabytes() -> String {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let bytes = Double(usage.ru_maxrss) * 1024
        #else
        getrusage(RUSAGE_SELF, &usage)
        let bytes = Double(usage.ru_maxrss)
        #endif
        return String(format: "%.1f", bytes / 1_048_576)
    }
}

/// The outbox's share of `run`: each batch's elements enqueued (synchronous commit, as `run`
/// does), claimed and confirmed, in a temporary file removed afterwards.
private struct OutboxRoundTrip {
    static let step = "outbox (store, claim, confirm)"
    let directory: URL
    let outbox: Outbox

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tiktok-offline-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        outbox = try Outbox(path: directory.appendingPathComponent("outbox.sqlite").path)
    }

    func roundTrip(_ batch: Batch) async throws {
        let messages = batch.records.compactMap { record in
            if case .sent = record.outcome { OutboxMessage(tiktokRecord: record) } else { nil }
        }
        try await outbox.enqueue(messages, destination: "bench")
        while true {
            let claimed = try await outbox.claim(destination: "bench", limits: .init(maxCount: 1_000))
            if claimed.isEmpty { break }
            try await outbox.confirm(claimed.map(\.id))
        }
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}
