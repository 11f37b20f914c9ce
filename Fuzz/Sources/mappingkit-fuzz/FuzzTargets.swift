import Foundation
import JSONKit
import MappingKit

/// One libFuzzer entry point for several targets, chosen by `FUZZ_TARGET` (read once):
///
/// - `json`: the tree parser and the in-place parser agree on every input (both refuse it, or
///   both read the same value), and what is read serializes and parses back to itself.
/// - `trigger`: a trigger that loads has canonical text that loads as an equivalent trigger,
///   a reference AST (when it has one) that loads as an equivalent trigger, and matches an
///   event read as a tree and in place alike.
/// - `mapping-file`: loading a YAML mapping file never crashes, whatever it holds.
/// - `path`: a `@path` over a fixed event reads the same from a tree and from a document.
///
/// A broken property is a crash (`fatalError`), which libFuzzer reports with its input.
enum FuzzTarget: String {
    case json, trigger, mappingFile = "mapping-file", path

    static let selected: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            fatalError("set FUZZ_TARGET to one of json, trigger, mapping-file, path (got '\(name)')")
        }
        return target
    }()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    switch FuzzTarget.selected {
    case .json: fuzzJSON(bytes)
    case .trigger: fuzzTrigger(bytes)
    case .mappingFile: fuzzMappingFile(bytes)
    case .path: fuzzPath(bytes)
    }
    return 0
}

/// A fixed event for the targets that evaluate something: nested objects, arrays, every type.
let sampleEvent: JSON = try! JSON.parse(#"""
    {"type":"track","event":"Order Completed","userId":"u-1","name":"n","messageId":"m-1",
     "properties":{"revenue":12.5,"email":"A@B.co","products":[{"price":1,"sku":"a"},{"price":"2"}],"a b":{"c":[0,null,true]},"":"empty"},
     "context":{"page":{"url":"https://x.example/?ttclid=1"},"traits":{"phone":"+1 555"}},"traits":{"t":false}}
    """#)
let sampleDocument: JSONDocument = try! JSONDocument(parsing: sampleEvent.serialized())

func fuzzJSON(_ bytes: UnsafeRawBufferPointer) {
    let tree = Result { () throws(JSONParseError) in try JSON.parse(bytes: bytes) }
    var document = JSONDocument()
    let inPlace = Result { () throws(JSONParseError) in try document.parse(bytes) }
    switch (tree, inPlace) {
    case (.success(let value), .success):
        guard document.json == value else { fatalError("the parsers read different values") }
        // A number too large for a double reads as Infinity and is written as null, as in
        // JavaScript: the round trip holds for everything else.
        let text = value.serialized()
        guard let again = try? JSON.parse(text), again == finite(value) else { fatalError("serialize → parse changed the value: \(text)") }
    case (.failure, .failure):
        break
    default:
        fatalError("one parser accepted what the other refused: tree \(tree), in place \(inPlace)")
    }
}

/// `value` with every non-finite number replaced by null, as JSON text holds it.
func finite(_ value: JSON) -> JSON {
    switch value {
    case .double(let d) where !d.isFinite: .null
    case .array(let items): .array(items.map(finite))
    case .object(var object):
        {
            object.updateMembers { _, member in
                member = finite(member)
                return true
            }
            return .object(object)
        }()
    default: value
    }
}

func fuzzTrigger(_ bytes: UnsafeRawBufferPointer) {
    guard let source = String(validating: bytes, as: UTF8.self), let trigger = try? Trigger(source) else { return }
    let canonical = trigger.canonicalSource
    guard let reparsed = try? Trigger(canonical) else { fatalError("canonical text does not parse: \(canonical) (from \(source))") }
    guard reparsed.isEquivalent(to: trigger) else { fatalError("canonical text reads differently: \(canonical) (from \(source))") }
    if let ast = trigger.referenceAST {
        guard let fromAST = try? Trigger(referenceAST: ast), fromAST.isEquivalent(to: trigger) else {
            fatalError("the reference AST does not read back: \(ast.serialized()) (from \(source))")
        }
    }
    guard trigger.matches(sampleEvent) == trigger.matches(sampleDocument) else {
        fatalError("tree and document disagree for \(source)")
    }
}

func fuzzMappingFile(_ bytes: UnsafeRawBufferPointer) {
    guard let text = String(validating: bytes, as: UTF8.self) else { return }
    _ = try? MappingFile.parse(text, file: "fuzz.yaml")
}

func fuzzPath(_ bytes: UnsafeRawBufferPointer) {
    guard let path = String(validating: bytes, as: UTF8.self), let mapping = try? Mapping(["value": ["@path": .string(path)]]) else { return }
    let fromTree = try? mapping.evaluate(sampleEvent)
    let fromDocument = try? mapping.evaluate(sampleDocument)
    guard fromTree == fromDocument else { fatalError("tree and document read \(path) differently") }
}
