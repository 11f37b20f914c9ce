import Delivery
import OutboxSQLite
import ArgumentParser
import NIOCore
import AsyncHTTPClient
import ConversionEngine
import Foundation
import Logging
import MappingKit
import TikTokOffline
import TikTokEventsAPI

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
            let folderFiles: [String]
            do {
                folderFiles = try ConversionEngine.MappingSource.mappingFiles(inFolder: mappings)
            } catch {
                throw CommandError(error.description)
            }
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

    @Option(help: ArgumentHelp(
        "Country code for phone numbers written without + or 00, e.g. 1 or 44 (default: none).",
        discussion: """
            Such a number loses its trunk prefix (a leading 0, or for 1 the leading 1 of 11 digits; Italy's 39 keeps its 0) \
            and gets this code in front. Without it, such numbers are sent as written (+ and the digits, as Segment does) \
            with a warning, and counted apart in --report: they may not match.
            """))
    var defaultCountryCode: String?

    @Option(help: "Events older than this many days (by their timestamp) are stale (default 28, TikTok's attribution window).")
    var maxEventAgeDays: Int?

    @Option(help: "Events dated more than this many days ahead of now are refused as stale ones are (default 1; TikTok does not attribute events from the future).")
    var maxFutureDays: Int?

    @Option(help: "What to do with stale events and events dated too far ahead: reject (default), warn (send them, with a warning), off (no time check).")
    var staleEvents: String?

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
            if let defaultCountryCode { resolved.defaultCountryCode = defaultCountryCode }
            if let maxEventAgeDays { resolved.maxEventAgeDays = maxEventAgeDays }
            if let maxFutureDays { resolved.maxFutureDays = maxFutureDays }
            if let staleEvents {
                guard let policy = TikTokSettings.StaleEvents(rawValue: staleEvents) else {
                    throw SettingsError("--stale-events must be reject, warn or off, not '\(staleEvents)'")
                }
                resolved.staleEvents = policy
            }
            resolved.fillFromEnvironment(environment)
            try resolved.validate(requireAccessToken: requireAccessToken)
        } catch let error as SettingsError {
            throw CommandError("settings: \(error.message)")
        }
        return resolved
    }
}

/// How to deliver to TikTok: shared by `run` and `serve`.
struct DeliveryOptions: ParsableArguments {
    @Option(help: "Events API base URL, e.g. http://127.0.0.1:8787 for mock-tiktok.")
    var endpoint: String = TikTokEndpoint.production.baseURL

    @Option(help: "Most events per request (TikTok accepts up to 1,000).")
    var batchSize: Int = 1_000

    @Option(help: "Most bytes of events per request.")
    var batchBytes: Int = 4 << 20

    @Option(help: "Requests in flight at once.")
    var concurrency: Int = 4

    @Option(help: "Attempts per request before giving up (the events stay in the outbox).")
    var maxAttempts: Int = 8

    @Option(help: "Seconds to wait for one request.")
    var timeout: Int = 30

    @Option(help: "Seconds to wait for a connection to TikTok (an unreachable host fails this fast).")
    var connectTimeout: Int = 5

    func validate() throws {
        guard (1...1_000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 1000") }
        guard batchBytes > 0, concurrency > 0, maxAttempts > 0, timeout > 0, connectTimeout > 0 else {
            throw ValidationError("--batch-bytes, --concurrency, --max-attempts, --timeout and --connect-timeout must be positive")
        }
    }

    func makeHTTPClient() -> HTTPClient {
        TikTokEventsClient.makeHTTPClient(connectTimeout: .seconds(connectTimeout))
    }

    /// A deliverer from `outbox` to TikTok for `route` (and the pending test codes of its event set).
    func deliverer(
        outbox: any OutboxStore, route: TikTokRoute, httpClient: HTTPClient, onSettled: (@Sendable (DeliverySettlement) -> Void)? = nil
    ) -> Deliverer {
        Deliverer(
            outbox: outbox,
            transport: TikTokEventsClient(
                endpoint: TikTokEndpoint(baseURL: endpoint), routes: [route], httpClient: httpClient, timeout: .seconds(timeout)),
            destinations: [route.outboxDestination],
            configuration: .init(
                batch: .init(maxCount: batchSize, maxBytes: batchBytes), concurrency: concurrency,
                retry: RetryPolicy(maxAttempts: maxAttempts)),
            logger: Logger(label: "tiktok-offline.delivery"),
            onSettled: onSettled
        )
    }
}

/// How many cores process events: `--threads`.
struct ThreadsOption: ParsableArguments {
    @Option(help: "Batches of events processed at once, each on a core (default: the machine's cores). Output keeps the input's order.")
    var threads: Int?

    init() {}

    /// The option as another command parsed it (`serve` words its help for requests).
    init(threads: Int?) { self.threads = threads }

    func validate() throws {
        if let threads, !(1...256).contains(threads) { throw ValidationError("--threads must be between 1 and 256") }
    }

    /// The number asked for, or the cores this process may use.
    var count: Int { threads ?? max(1, System.coreCount) }

    /// Batches in flight when each also waits for an outbox commit: two more than the cores
    /// that process them, so the cores stay busy while earlier batches commit.
    var withCommits: Int { count + 2 }
}

/// Where events come from and how they are written: `--input`, `--input-format`, `--csv-delimiter`.
struct InputOptions: ParsableArguments {
    @Option(help: "File to read: NDJSON, or CSV with a header row (default: standard input).")
    var input: String?

    @Option(help: "csv or ndjson (default: from the file's extension, .csv or .tsv is CSV; NDJSON for standard input).")
    var inputFormat: String?

    @Option(help: "CSV field separator: a single character, or tab (default: comma; tab for .tsv).")
    var csvDelimiter: String?

    func validate() throws {
        _ = try format()
    }

    /// The format the options and the file name give.
    func format() throws -> InputFormat {
        let guessed = InputFormat.guess(fromPath: input)
        var format: InputFormat
        switch inputFormat?.lowercased() {
        case nil: format = guessed
        case "ndjson", "jsonl": format = .ndjson
        case "csv":
            if case .csv = guessed { format = guessed } else { format = .csv(delimiter: UInt8(ascii: ",")) }
        case "tsv": format = .csv(delimiter: 0x09)
        case let other?: throw ValidationError("--input-format must be csv or ndjson, not \(other)")
        }
        if let csvDelimiter {
            guard case .csv = format else { throw ValidationError("--csv-delimiter is for CSV input (add --input-format csv)") }
            guard let delimiter = InputFormat.csvDelimiter(named: csvDelimiter) else {
                throw ValidationError("--csv-delimiter must be one printable ASCII character other than a quote, or tab")
            }
            format = .csv(delimiter: delimiter)
        }
        return format
    }
}

/// `--strict`: a run that refused anything says so with its own exit status, for cron jobs
/// and CI. Without it, exit statuses are unchanged.
struct StrictOption: ParsableArguments {
    /// The exit status of a strict run that refused something (documented in docs/delivery.md).
    static let refusedStatus: Int32 = 2

    @Flag(help: ArgumentHelp(
        "Exit 2 when anything was refused: an unreadable event, a record the pipeline rejected (stale ones included), an event no mapping fired for, or a dead letter.",
        discussion: "A failure with its own status (3–8) keeps it."))
    var strict = false

    /// Throws exit status 2 when strict and `refused` (what was refused, worded for people) is not empty.
    func check(_ refused: [String]) throws {
        guard strict, !refused.isEmpty else { return }
        Terminal.error("strict: \(refused.joined(separator: ", ")); exiting with status \(Self.refusedStatus)")
        throw ExitCode(Self.refusedStatus)
    }

    /// What `totals` refused, as `check` words it.
    static func refusals(in totals: Ingest.Totals, deadLettered: Int = 0) -> [String] {
        var refused: [String] = []
        if totals.badLines > 0 { refused.append("\(totals.badLines) unreadable") }
        if totals.rejected > 0 { refused.append("\(totals.rejected) rejected") }
        if totals.unmapped > 0 { refused.append("\(totals.unmapped) fired no mapping") }
        if deadLettered > 0 { refused.append("\(deadLettered) dead-lettered") }
        return refused
    }
}
