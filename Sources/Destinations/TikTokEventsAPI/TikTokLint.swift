import ConversionEngine
import MappingKit

/// What `lint` says of a mapping file for either TikTok destination: the errors of compiling it
/// against the destination's actions, and a warning for the reserved event name `Purchase`
/// (TikTok treats it as `CompletePayment`, and so do both validate stages).
package enum TikTokLint {
    /// The diagnostics, and the effective mapping when it compiles (for a destination's own checks).
    package static func check(_ file: MappingFile, effectiveMapping: (MappingFile) throws -> Mapping) -> (mapping: Mapping?, diagnostics: [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        var mapping: Mapping?
        do {
            mapping = try effectiveMapping(file)
        } catch let error as EngineError {
            diagnostics.append(error.diagnostic ?? Diagnostic(.error, error.message, file: file.file))
        } catch {
            diagnostics.append(Diagnostic(.error, "\(error)", file: file.file))
        }
        if file.mapping["event"] == "Purchase" || file.mapping["event"]?["@literal"] == "Purchase" {
            diagnostics.append(Diagnostic(
                .warning, "'Purchase' is reserved by TikTok; it is sent as 'CompletePayment' (write CompletePayment)",
                file: file.file, at: file.sourceMap.valueMark(at: "/mapping/event")))
        }
        return (mapping, diagnostics)
    }
}
