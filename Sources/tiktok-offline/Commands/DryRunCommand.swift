import ArgumentParser
import ConversionEngine
import Foundation
import MappingKit
import TikTokOffline

/// `tiktok-offline dry-run`: everything but the network.
struct DryRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dry-run",
        abstract: "Shows exactly what TikTok would receive for each event, without sending anything.",
        discussion: """
            Reads NDJSON events (stdin by default) and prints one JSON line per event and fired mapping:
              {"line":N,"mapping":"<name>","body":{...}}       the request body for that event alone
              {"line":N,"mapping":"<name>","error":"<reason>"} the record was rejected
              {"line":N,"mapping":"<name>","skipped":"<reason>"} left out on purpose (no consent)
              {"line":N,"error":"<reason>"}                    the line is not a JSON object
            Per-line problems never stop the run; only configuration errors exit non-zero.
            """
    )

    @OptionGroup var mappings: MappingOptions
    @OptionGroup var settings: SettingsOptions

    @Option(help: "NDJSON file to read (default: standard input).")
    var input: String?

    @Flag(help: "Also print each record as it left each stage (identifiers hashed).")
    var trace = false

    func run() async throws {
        let settings = try settings.resolve(requireAccessToken: false)
        let engine = try mappings.engine(settings: settings, sink: DryRunSink())
        let fd: Int32
        if let input {
            fd = open(input, O_RDONLY)
            guard fd >= 0 else { throw CommandError("\(input): cannot open (\(String(cString: strerror(errno))))") }
        } else {
            fd = 0
        }
        defer { if fd != 0 { close(fd) } }
        let runner = DryRunner(engine: engine, builder: TikTokRequestBuilder(settings: settings), trace: trace)
        try await runner.run(input: fd, output: 1)
    }
}

/// Which mapping files to run.
struct MappingOptions: ParsableArguments {
    @Option(help: "Use the mapping files in this folder instead of the shipped presets.")
    var mappings: String?

    @Option(name: .customLong("mapping"), help: "Use exactly this mapping file (repeatable).")
    var mappingFiles: [String] = []

    @Flag(help: "Also run mappings that are written `enabled: false`.")
    var enableAll = false

    /// `--mapping` files (after the `--mappings` folder's, if both are given), else the
    /// `--mappings` folder, else the presets compiled into the binary.
    var source: ConversionEngine.MappingSource {
        get throws {
            guard !mappingFiles.isEmpty else {
                return mappings.map { .directory($0) } ?? ShippedPresets.source
            }
            guard let mappings else { return .files(mappingFiles) }
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: mappings) else {
                throw CommandError("\(mappings): cannot read the mappings folder")
            }
            let folderFiles = names.filter(ConversionEngine.MappingSource.isMappingFileName).sorted()
                .map { (mappings as NSString).appendingPathComponent($0) }
            return .files(folderFiles + mappingFiles)
        }
    }

    func engine(settings: TikTokSettings, sink: any EventSink) throws -> Engine {
        do {
            return try TikTokDestination.engine(settings: settings, mappings: try source, enableAll: enableAll, sink: sink)
        } catch let error as CommandError {
            throw error
        } catch {
            throw CommandError("\(error)")
        }
    }
}

/// Where the TikTok settings come from: flags, then the settings file, then the environment.
struct SettingsOptions: ParsableArguments {
    @Option(help: "Settings YAML file (values may use ${ENV_VAR}).")
    var settings: String?

    @Option(help: "TikTok access token (default: TIKTOK_ACCESS_TOKEN).")
    var accessToken: String?

    @Option(name: .customLong("event-set-id"), help: "TikTok offline event set id (default: TIKTOK_EVENT_SET_ID).")
    var eventSetID: String?

    @Option(help: "partner_name sent with every request (omitted when unset).")
    var partnerName: String?

    @Option(help: "TikTok test_event_code for events whose mapping sets none: they show in the event set's Test Events tab only.")
    var testEventCode: String?

    func resolve(requireAccessToken: Bool) throws -> TikTokSettings {
        let environment = ProcessInfo.processInfo.environment
        var resolved = TikTokSettings()
        do {
            if let settings {
                let text: String
                do {
                    text = try String(contentsOfFile: settings, encoding: .utf8)
                } catch {
                    throw SettingsError("\(settings): cannot read the settings file")
                }
                resolved = try TikTokSettings(yaml: text, file: settings, environment: environment)
            }
            if let accessToken { resolved.accessToken = accessToken }
            if let eventSetID { resolved.eventSetID = eventSetID }
            if let partnerName { resolved.partnerName = partnerName }
            if let testEventCode { resolved.testEventCode = testEventCode.isEmpty ? nil : testEventCode }
            resolved.fillFromEnvironment(environment)
            try resolved.validate(requireAccessToken: requireAccessToken)
        } catch let error as SettingsError {
            throw CommandError("settings: \(error.message)")
        }
        return resolved
    }
}

/// A configuration problem: printed as is, exits non-zero.
struct CommandError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
