import ArgumentParser
import ConversionEngine
import Foundation
import MappingKit
import TikTokOffline

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
