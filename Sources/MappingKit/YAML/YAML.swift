import JSONKit

/// Reads YAML texts (mapping files) into node trees with source marks, on libyaml.
///
///     guard let document = try YAML.parse(text, file: "mappings/purchase.yaml") else { … empty file … }
///     let (json, sourceMap) = try document.toJSONWithSourceMap()
public enum YAML {
    /// Parses a text holding exactly one YAML document. Returns `nil` when the text holds
    /// none (it is empty or only comments); throws when it holds more than one, is not
    /// valid YAML, or exceeds `limits`.
    public static func parse(_ text: String, file: String? = nil, limits: YAMLLimits = .default)
        throws(YAMLError) -> YAMLDocument?
    {
        let byteCount = text.utf8.count
        if byteCount > limits.maxBytes {
            throw YAMLError("the text is \(byteCount) bytes, over the limit of \(limits.maxBytes)", file: file)
        }
        var text = text
        return try text.withUTF8 { bytes in
            Result { () throws(YAMLError) in try parse(bytes: bytes, file: file, limits: limits) }
        }.get()
    }

    private static func parse(bytes: UnsafeBufferPointer<UInt8>, file: String?, limits: YAMLLimits)
        throws(YAMLError) -> YAMLDocument?
    {
        let source = SourceText(bytes: bytes)
        let events = LibYAMLEvents(bytes: bytes, source: source, file: file)
        var builder = YAMLTreeBuilder(limits: limits, file: file, source: source)
        var sawDocument = false
        while true {
            let event = try events.next()
            switch event {
            case .streamEnd:
                guard let root = builder.root else { return nil }
                return YAMLDocument(root: root, file: file)
            case .documentStart(let mark):
                if sawDocument {
                    throw YAMLError(
                        "a second YAML document starts here; the text must hold exactly one",
                        file: file, mark: mark)
                }
                sawDocument = true
            default:
                try builder.add(event)
            }
        }
    }
}

/// One parsed YAML document.
public struct YAMLDocument: Sendable {
    public let root: YAMLNode
    /// The file name given to `YAML.parse`, used in error messages.
    public let file: String?

    /// The document as JSON. See `toJSONWithSourceMap()` for the rules.
    public func toJSON() throws(YAMLError) -> JSON {
        var converter = YAMLToJSON(file: file, recordsSourceMap: false)
        return try converter.convert(root)
    }

    /// The document as JSON, with the source location of every value in it.
    ///
    /// Plain scalars are resolved by the YAML 1.2 core schema (null, booleans, integers
    /// as `.int`, other numbers as `.double`); quoted and block scalars are strings. The
    /// standard tags `!!str !!int !!float !!bool !!null !!map !!seq` are honoured. A
    /// directive tag `!X` (`!path`, `!arrayPath`, `!literal`, …) turns its node into
    /// `{"@X": node}`, exactly as if the object had been written. Keys must be scalars and
    /// unique; `.inf` and `.nan` are errors because JSON cannot hold them.
    public func toJSONWithSourceMap() throws(YAMLError) -> (json: JSON, sourceMap: SourceMap) {
        var converter = YAMLToJSON(file: file, recordsSourceMap: true)
        let json = try converter.convert(root)
        return (json, converter.sourceMap)
    }

    /// As `toJSONWithSourceMap()`, but a problem confined to one node (an unknown tag, a
    /// duplicate key, a value its tag cannot hold) is returned, in reading order, instead of
    /// ending the conversion: the node is read as if untagged, a duplicate key is skipped.
    /// `problems` empty means the same result `toJSONWithSourceMap()` gives.
    public func toJSONCollectingProblems() -> (json: JSON, sourceMap: SourceMap, problems: [YAMLError]) {
        var converter = YAMLToJSON(file: file, recordsSourceMap: true, collectsProblems: true)
        // Nothing throws while collecting; the fallback keeps the signature honest.
        let json = (try? converter.convert(root)) ?? .null
        return (json, converter.sourceMap, converter.problems)
    }
}
