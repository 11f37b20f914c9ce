import ArgumentParser
import ConversionEngine
import Foundation
import JSONKit
import MappingKit
import TikTokOffline

/// `tiktok-offline dry-run`: everything but the network.
struct DryRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dry-run",
        abstract: "Shows exactly what TikTok would receive for each event, without sending anything.",
        discussion: """
            Reads NDJSON events, or CSV rows under a header (stdin by default), and prints one JSON line per event and fired mapping:
              {"line":N,"mapping":"<name>","body":{...}}       the request body for that event alone
              {"line":N,"mapping":"<name>","error":"<reason>"} the record was rejected
              {"line":N,"mapping":"<name>","skipped":"<reason>"} left out on purpose (no consent)
              {"line":N,"error":"<reason>"}                    the line is not a JSON object (a CSV row: unreadable)
            Per-line problems never stop the run; only configuration errors exit non-zero (1), and, \
            with --strict, a run in which anything was unreadable, rejected or fired no mapping (2).
            """
    )

    @OptionGroup var mappings: MappingOptions
    @OptionGroup var settings: SettingsOptions

    @OptionGroup var inputOptions: InputOptions
    @OptionGroup var threads: ThreadsOption
    @OptionGroup var strict: StrictOption

    @Flag(help: "Also print each record as it left each stage (identifiers hashed).")
    var trace = false

    @Flag(help: "Print on stderr, per mapping, the share of records carrying each identifier and why identifiers were dropped.")
    var report = false

    @Flag(help: "With --report: the report as one JSON object instead of a table.")
    var jsonSummary = false

    func run() async throws {
        let settings = try settings.resolve(requireAccessToken: false)
        let engine = try mappings.engine(settings: settings, sink: DryRunSink())
        let fd: Int32
        if let input = inputOptions.input {
            fd = open(input, O_RDONLY)
            guard fd >= 0 else { throw CommandError("\(input): cannot open (\(String(cString: strerror(errno))))") }
        } else {
            fd = 0
        }
        defer { if fd != 0 { close(fd) } }
        let runner = DryRunner(engine: engine, destination: TikTokOfflineDestination(settings: settings), trace: trace, threads: threads.count)
        var quality: MatchQuality? = report ? MatchQuality() : nil
        let totals = try await runner.run(input: fd, format: try inputOptions.format(), output: 1, matchQuality: &quality)
        if let quality {
            Terminal.error(jsonSummary ? quality.json.serialized() : quality.table())
        }
        try strict.check(StrictOption.refusals(in: totals))
    }
}
