import JSONKit
@testable import MappingKit
import Testing

/// Parses one YAML document and converts it to JSON.
private func json(_ yaml: String, limits: YAMLLimits = .default) throws -> JSON {
    guard let document = try YAML.parse(yaml, file: "test.yaml", limits: limits) else {
        throw YAMLError("no document")
    }
    return try document.toJSON()
}

/// The error a YAML text fails with, or `nil` if it loads.
private func loadError(_ yaml: String, limits: YAMLLimits = .default) -> YAMLError? {
    do {
        _ = try json(yaml, limits: limits)
        return nil
    } catch {
        return error as? YAMLError
    }
}

/// Equality that also tells `.int(3)` from `.double(3)`.
private func identical(_ a: JSON, _ b: JSON) -> Bool {
    switch (a, b) {
    case (.int(let x), .int(let y)): x == y
    case (.double(let x), .double(let y)): x == y
    case (.array(let x), .array(let y)): x.count == y.count && zip(x, y).allSatisfy(identical)
    case (.object(let x), .object(let y)):
        x.keys.elementsEqual(y.keys) && zip(x.values, y.values).allSatisfy(identical)
    case (.int, _), (.double, _), (.array, _), (.object, _): false
    default: a == b
    }
}

@Suite struct YAMLMarkTests {
    static let mapping = """
        name: Complete Payment
        mapping:
          event: CompletePayment
          contents: !arrayPath
            - $.properties.products
            - price: !path $.price
              quantity: !path "$.quantity"
              note: &n 'héllo wörld'
              again: *n
        """

    @Test(arguments: [
        ("/", nil, SourceMark(line: 1, column: 1), nil),
        ("/name", SourceMark(line: 1, column: 1), SourceMark(line: 1, column: 7), YAMLScalarStyle.plain),
        ("/mapping", SourceMark(line: 2, column: 1), SourceMark(line: 3, column: 3), nil),
        ("/mapping/event", SourceMark(line: 3, column: 3), SourceMark(line: 3, column: 10), .plain),
        ("/mapping/contents", SourceMark(line: 4, column: 3), SourceMark(line: 4, column: 13), nil),
        ("/mapping/contents/@arrayPath", SourceMark(line: 4, column: 13), SourceMark(line: 5, column: 5), nil),
        ("/mapping/contents/@arrayPath/0", nil, SourceMark(line: 5, column: 7), .plain),
        ("/mapping/contents/@arrayPath/1", nil, SourceMark(line: 6, column: 7), nil),
        ("/mapping/contents/@arrayPath/1/price", SourceMark(line: 6, column: 7), SourceMark(line: 6, column: 14), nil),
        ("/mapping/contents/@arrayPath/1/price/@path", SourceMark(line: 6, column: 14), SourceMark(line: 6, column: 20), .plain),
        ("/mapping/contents/@arrayPath/1/quantity/@path", SourceMark(line: 7, column: 17), SourceMark(line: 7, column: 23), .doubleQuoted),
        ("/mapping/contents/@arrayPath/1/note", SourceMark(line: 8, column: 7), SourceMark(line: 8, column: 16), .singleQuoted),
        // An alias is located where its anchored node is written.
        ("/mapping/contents/@arrayPath/1/again", SourceMark(line: 9, column: 7), SourceMark(line: 8, column: 16), .singleQuoted),
    ] as [(String, SourceMark?, SourceMark, YAMLScalarStyle?)])
    func locatesNestedNodes(path: String, key: SourceMark?, value: SourceMark, style: YAMLScalarStyle?) throws {
        let document = try #require(try YAML.parse(Self.mapping))
        let (_, sourceMap) = try document.toJSONWithSourceMap()
        let location = try #require(sourceMap[path])
        #expect(location == SourceMap.Location(key: key, value: value, style: style))
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let document = try #require(try YAML.parse("é: ü\n\"ß\": [ö, ä]\n"))
        let (_, sourceMap) = try document.toJSONWithSourceMap()
        #expect(sourceMap["/é"]?.value == SourceMark(line: 1, column: 4))
        #expect(sourceMap["/ß/1"]?.value == SourceMark(line: 2, column: 10))
    }

    /// A directive's argument is located where its text starts, past the tag and anchor,
    /// so a caller can point inside it.
    @Test(arguments: [
        ("\u{FEFF}a: !path  \"x\"", "/a/@path", SourceMark(line: 1, column: 12)),
        ("a: !path\n   # comment\n  $.x\n", "/a/@path", SourceMark(line: 3, column: 3)),
        ("a: !path &x\n  - 1\n", "/a/@path", SourceMark(line: 2, column: 3)),
        ("a: [!path $.b, &q !path 'c']", "/a/1/@path", SourceMark(line: 1, column: 25)),
        ("a: !<!path> $.b", "/a/@path", SourceMark(line: 1, column: 13)),
    ])
    func argumentStartsAfterTheTag(yaml: String, path: String, value: SourceMark) throws {
        let document = try #require(try YAML.parse(yaml))
        let (_, sourceMap) = try document.toJSONWithSourceMap()
        #expect(sourceMap[path]?.value == value)
    }

    @Test func lookupFallsBackToTheNearestAncestor() throws {
        let document = try #require(try YAML.parse(Self.mapping, file: "purchase.yaml"))
        let (_, sourceMap) = try document.toJSONWithSourceMap()
        let nearest = try #require(sourceMap.nearest("/mapping/contents/@arrayPath/1/missing/deeper"))
        #expect(nearest.path == "/mapping/contents/@arrayPath/1")
        #expect(sourceMap["/mapping/contents/@arrayPath/1/missing"] == nil)
        #expect(sourceMap.error("should be a string", at: "/mapping/event").description
            == "purchase.yaml:3:3: should be a string")
        #expect(sourceMap.nearest("/nothing/here")?.path == "/")
    }

    @Test func pathsJoinLikeValidatorMessages() {
        #expect(SourceMap.path("/", appending: "mapping") == "/mapping")
        #expect(SourceMap.path("/mapping", appending: "@path") == "/mapping/@path")
        #expect(SourceMap.parent(of: "/mapping/@path") == "/mapping")
        #expect(SourceMap.parent(of: "/mapping") == "/")
    }
}

@Suite struct YAMLDirectiveTagTests {
    @Test(arguments: [
        ("!literal 0", #"{"@literal": 0}"#),
        ("!literal '0'", #"{"@literal": "0"}"#),
        ("!literal", #"{"@literal": null}"#),
        ("!path $.a", #"{"@path": "$.a"}"#),
        ("x: !path $.properties['order id']", #"{"x": {"@path": "$.properties['order id']"}}"#),
        ("!arrayPath [$.p, {price: !path $.price}]", #"{"@arrayPath": ["$.p", {"price": {"@path": "$.price"}}]}"#),
        ("!if {exists: !path $.x, then: yes, else: !literal 2}", #"{"@if": {"exists": {"@path": "$.x"}, "then": "yes", "else": {"@literal": 2}}}"#),
        ("!template 'Hi {{name}}'", #"{"@template": "Hi {{name}}"}"#),
        ("!case {operator: upper, value: !path $.x}", #"{"@case": {"operator": "upper", "value": {"@path": "$.x"}}}"#),
        ("!replace {pattern: a, replacement: b, value: !path $.x, global: true}", #"{"@replace": {"pattern": "a", "replacement": "b", "value": {"@path": "$.x"}, "global": true}}"#),
        ("!json {value: !path $.x, mode: encode}", #"{"@json": {"value": {"@path": "$.x"}, "mode": "encode"}}"#),
        ("!flatten {value: !path $.x, separator: .}", #"{"@flatten": {"value": {"@path": "$.x"}, "separator": "."}}"#),
        ("!merge {direction: right, objects: [!path $.a, {b: 1}]}", #"{"@merge": {"direction": "right", "objects": [{"@path": "$.a"}, {"b": 1}]}}"#),
        ("!transform {apply: {a: !path $.x}, mapping: {b: !path $.a}}", #"{"@transform": {"apply": {"a": {"@path": "$.x"}}, "mapping": {"b": {"@path": "$.a"}}}}"#),
        ("!excludeWhenNull [1, null]", #"{"@excludeWhenNull": [1, null]}"#),
        // The "@" objects themselves load as written, in YAML or JSON syntax.
        ("'@path': $.a", #"{"@path": "$.a"}"#),
        ("""
        contents: !arrayPath
          - $.properties.products
          - price: !path $.price
            quantity: !path $.quantity
        """, #"{"contents": {"@arrayPath": ["$.properties.products", {"price": {"@path": "$.price"}, "quantity": {"@path": "$.quantity"}}]}}"#),
    ])
    func tagIsTheAtObject(yaml: String, expected: String) throws {
        let actual = try json(yaml)
        #expect(identical(actual, try JSON.parse(expected)))
        // The "@" form written in YAML gives the same JSON.
        #expect(identical(try json(expected), actual))
    }

    @Test func designExampleLoads() throws {
        let yaml = """
            name: Complete Payment
            trigger: event = "Order Completed"
            action: reportOfflineEvent
            enabled: true
            defaults: true            # start from the action's field defaults
            mapping:
              event: CompletePayment
              contents: !arrayPath
                - $.properties.products
                - price: !path $.price
                  quantity: !path $.quantity
                  content_id: !path $.product_id
            """
        let expected = try JSON.parse("""
            {"name":"Complete Payment","trigger":"event = \\"Order Completed\\"","action":"reportOfflineEvent",
             "enabled":true,"defaults":true,"mapping":{"event":"CompletePayment","contents":{"@arrayPath":
             ["$.properties.products",{"price":{"@path":"$.price"},"quantity":{"@path":"$.quantity"},
             "content_id":{"@path":"$.product_id"}}]}}}
            """)
        #expect(try json(yaml) == expected)
    }

    /// YAML is a superset of JSON: every mapping of the vector file, written as JSON, loads
    /// through YAML unchanged.
    @Test func jsonMappingsLoadUnchanged() throws {
        let vectors = Fixtures.vectors("mapping.json").filter { $0["mapping"] != nil }
        #expect(vectors.count > 150)
        for vector in vectors {
            let mapping = try #require(vector["mapping"])
            #expect(try json(mapping.serialized()) == mapping, "\(vector.name)")
        }
    }

    @Test(arguments: [
        ("x: !pth $.a", "did you mean !path?"),
        ("x: !arraypath [$.a, {}]", "did you mean !arrayPath?"),
        ("x: !tempalte 'a'", "did you mean !template?"),
        ("x: !excludeWhenNul 1", "did you mean !excludeWhenNull?"),
        ("x: !zzzzzz 1", "the directive tags are !path, !if"),
        ("x: !liquid '{{ a }}'", "`@liquid` is not supported"),
    ])
    func unknownTagIsAnErrorAtTheTag(yaml: String, message: String) throws {
        let error = try #require(loadError(yaml))
        #expect(error.message.contains(message), "\(error)")
        #expect(error.mark == SourceMark(line: 1, column: 4))
        #expect(error.file == "test.yaml")
    }

    @Test func directiveTagOnAKeyIsAnError() throws {
        let error = try #require(loadError("!path a: b"))
        #expect(error.message.contains("cannot be a directive"))
    }
}

@Suite struct YAMLScalarTests {
    @Test(arguments: [
        ("~", JSON.null), ("null", .null), ("Null", .null), ("NULL", .null), ("x:", ["x": .null]),
        ("true", .bool(true)), ("True", .bool(true)), ("TRUE", .bool(true)), ("false", .bool(false)),
        ("FALSE", .bool(false)), ("yes", "yes"), ("off", "off"), ("nULL", "nULL"),
        ("3", .int(3)), ("-17", .int(-17)), ("+5", .int(5)), ("0", .int(0)), ("007", .int(7)),
        ("0o17", .int(15)), ("0x1F", .int(31)), ("0xff", .int(255)),
        ("9223372036854775807", .int(Int.max)), ("123456789012345678901", .double(1.2345678901234568e20)),
        ("43.98", .double(43.98)), ("-0.5", .double(-0.5)), ("1e3", .double(1000)), ("1.5E-3", .double(0.0015)),
        (".5", .double(0.5)), ("-.5", .double(-0.5)), ("+1.", .double(1)), ("3.0", .double(3)),
        ("1_000", "1_000"), ("0x", "0x"), ("0o8", "0o8"), ("1.2.3", "1.2.3"), ("12:30", "12:30"),
        ("1e", "1e"), ("-a", "-a"), (".", "."), ("$.price", "$.price"), ("inf", "inf"),
        ("'3'", "3"), ("\"true\"", "true"), ("'null'", "null"), ("\"\"", ""), ("! 3", "3"),
        ("|\n  line\n", "line\n"), (">\n  a\n  b\n", "a b\n"), ("\"tab\\there\"", "tab\there"),
        ("!!str 3", "3"), ("!!str", ""), ("!!int '42'", .int(42)), ("!!int 0x10", .int(16)),
        ("!!float 3", .double(3)), ("!!float '2.5'", .double(2.5)), ("!!bool \"true\"", .bool(true)),
        ("!!null ''", .null), ("!!null", .null), ("!!map {a: 1}", ["a": 1]), ("!!seq [1]", [1]),
        ("1: one", ["1": "one"]), ("null: x", ["null": "x"]), ("!!str true: x", ["true": "x"]),
    ] as [(String, JSON)])
    func resolvesByTheCoreSchema(yaml: String, expected: JSON) throws {
        let actual = try json(yaml)
        #expect(identical(actual, expected), "\(actual)")
    }

    @Test(arguments: [
        (".inf", "not a number JSON can hold"), ("-.Inf", "not a number JSON can hold"),
        (".nan", "not a number JSON can hold"), ("!!float .NaN", "not a number JSON can hold"),
        ("1e999", "too large"), ("0xFFFFFFFFFFFFFFFFF", "does not fit in 64 bits"),
        ("!!int abc", "not a valid !!int"), ("!!int 1.5", "not a valid !!int"), ("!!bool yes", "not a valid !!bool"),
        ("!!null 0", "not a valid !!null"), ("!!map [1]", "needs a mapping"), ("!!seq {}", "needs a sequence"),
        ("!!str [a]", "needs a scalar"), ("!!binary aGk=", "unsupported tag !!binary"),
        ("!<tag:example.com,2000:x> 1", "unsupported tag tag:example.com,2000:x"),
    ])
    func rejectsWhatJSONCannotHold(yaml: String, message: String) throws {
        let error = try #require(loadError(yaml))
        #expect(error.message.contains(message), "\(error)")
        #expect(error.mark?.line == 1)
    }
}

@Suite struct YAMLStructureTests {
    @Test func anchorsAndAliasesCopyTheAnchoredNode() throws {
        let yaml = """
            base: &base {a: 1, b: [x, y]}
            copy: *base
            list: [*base, &s scalar, *s]
            """
        let expected = try JSON.parse("""
            {"base":{"a":1,"b":["x","y"]},"copy":{"a":1,"b":["x","y"]},
             "list":[{"a":1,"b":["x","y"]},"scalar","scalar"]}
            """)
        #expect(try json(yaml) == expected)
    }

    @Test func aLaterAnchorReplacesAnEarlierOne() throws {
        #expect(try json("[&a 1, *a, &a 2, *a]") == [1, 1, 2, 2])
    }

    @Test(arguments: [
        ("a: *nowhere", "refers to no anchor &nowhere", SourceMark(line: 1, column: 4)),
        ("- *later\n- &later 1", "refers to no anchor", SourceMark(line: 1, column: 3)),
        ("a: &loop [1, *loop]", "refers to a node that contains it", SourceMark(line: 1, column: 14)),
    ])
    func badAliasesAreErrors(yaml: String, message: String, mark: SourceMark) throws {
        let error = try #require(loadError(yaml))
        #expect(error.message.contains(message))
        #expect(error.mark == mark)
    }

    /// Nine anchors, each a list of nine aliases of the previous one: a few hundred bytes
    /// that expand to 9^9 (387 million) strings.
    static let billionLaughs: String = {
        var lines = [#"a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]"#]
        let names = Array("abcdefghi")
        for (previous, name) in zip(names, names.dropFirst()) {
            let aliases = Array(repeating: "*\(previous)", count: 9).joined(separator: ",")
            lines.append("\(name): &\(name) [\(aliases)]")
        }
        return lines.joined(separator: "\n")
    }()

    @Test func aliasBombIsRejectedQuickly() throws {
        let clock = ContinuousClock()
        var error: YAMLError?
        let elapsed = clock.measure { error = loadError(Self.billionLaughs) }
        let rejection = try #require(error)
        #expect(rejection.message == "aliases expand to more than 100000 nodes; the document looks like an alias bomb")
        #expect(rejection.mark?.line == 6)  // 9^6 > 100,000: the sixth line tips it over
        #expect(elapsed < .seconds(1))
    }

    @Test func moderateAliasUseIsAccepted() throws {
        let threeLevels = Self.billionLaughs.split(separator: "\n").prefix(3).joined(separator: "\n")
        guard case .object(let object) = try json(threeLevels), case .array(let c) = object["c"] else {
            Issue.record("expected an object with an array c")
            return
        }
        #expect(c.count == 9)
        #expect(c.allSatisfy { $0.arrayValue?.count == 9 })
    }

    @Test func nodeLimitAppliesWithoutAliasesToo() throws {
        let yaml = "[" + Array(repeating: "1", count: 200).joined(separator: ",") + "]"
        let error = try #require(loadError(yaml, limits: YAMLLimits(maxNodes: 100)))
        #expect(error.message == "the document has more than 100 nodes")
        #expect(try json(yaml, limits: YAMLLimits(maxNodes: 201)).arrayValue?.count == 200)
    }

    @Test func depthIsLimited() throws {
        func nested(_ depth: Int) -> String {
            String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        }
        #expect(loadError(nested(64)) == nil)
        let error = try #require(loadError(nested(65)))
        #expect(error.message == "nesting deeper than 64 levels")
        #expect(error.mark == SourceMark(line: 1, column: 65))
        // Hostile depth stops at the limit instead of reading on.
        #expect(loadError(nested(1_000_000))?.message == "nesting deeper than 64 levels")
    }

    @Test func depthCountsExpandedAliases() throws {
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        let yaml = "a: &deep \(deep)\nb: \(String(repeating: "[", count: 30))*deep\(String(repeating: "]", count: 30))"
        let error = try #require(loadError(yaml))
        #expect(error.message == "the alias *deep nests deeper than 64 levels once expanded")
        #expect(error.mark == SourceMark(line: 2, column: 34))
    }

    @Test func sizeIsLimited() throws {
        let text = "a: " + String(repeating: "x", count: 200)
        let error = try #require(loadError(text, limits: YAMLLimits(maxBytes: 100)))
        #expect(error.description == "test.yaml: the text is 203 bytes, over the limit of 100")
        let huge = String(repeating: "# comment\n", count: 500_000)
        #expect(loadError(huge)?.message.contains("over the limit of 4194304") == true)
    }

    @Test(arguments: [
        ("a: 1\nb: 2\na: 3", "duplicate key \"a\" (first written at 1:1)", SourceMark(line: 3, column: 1)),
        ("{a: 1, 'a': 2}", "duplicate key \"a\" (first written at 1:2)", SourceMark(line: 1, column: 8)),
        ("x:\n  1: a\n  \"1\": b", "duplicate key \"1\" (first written at 2:3)", SourceMark(line: 3, column: 3)),
        ((0..<40).map { "k\($0): \($0)" }.joined(separator: "\n") + "\nk7: again",
            "duplicate key \"k7\" (first written at 8:1)", SourceMark(line: 41, column: 1)),
    ])
    func duplicateKeyIsAnErrorAtTheSecond(yaml: String, message: String, mark: SourceMark) throws {
        let error = try #require(loadError(yaml))
        #expect(error.message == message)
        #expect(error.mark == mark)
    }

    /// Collecting, every problem confined to a node is returned in reading order and the rest
    /// of the document still converts: the bad node as if untagged, the duplicate key skipped.
    @Test func collectingReturnsEveryNodeProblemAndConvertsTheRest() throws {
        let text = "a: !pth $.x\nb: 1\na: 2\nc: !!int nope\n? [k]\n: 3\nd: ok\n"
        let document = try #require(try YAML.parse(text, file: "m.yaml"))
        let (json, _, problems) = document.toJSONCollectingProblems()
        #expect(problems.map(\.mark) == [
            SourceMark(line: 1, column: 4), SourceMark(line: 3, column: 1), SourceMark(line: 4, column: 10),
            SourceMark(line: 5, column: 3),
        ], "\(problems)")
        #expect(problems.first?.message.contains("did you mean !path") == true)
        #expect(json == ["a": "$.x", "b": 1, "c": "nope", "d": "ok"])
        #expect(throws: YAMLError.self) { try document.toJSONWithSourceMap() }
    }

    @Test(arguments: ["? [a, b]\n: 1", "{[a]: 1}", "? {a: 1}\n: 2"])
    func keysMustBeScalars(yaml: String) throws {
        let error = try #require(loadError(yaml))
        #expect(error.message.hasPrefix("a key must be a scalar"))
    }

    @Test(arguments: [
        ("a: [1, 2\nb: 3", SourceMark(line: 2, column: 2), "did not find expected ',' or ']'"),
        ("a:\n  - 1\n  b: 2", SourceMark(line: 3, column: 3), "did not find expected '-' indicator"),
        ("a: 'unterminated\n", SourceMark(line: 2, column: 1), "found unexpected end of stream"),
        ("a: b: c", SourceMark(line: 1, column: 5), "mapping values are not allowed in this context"),
        ("a: \u{7}", SourceMark(line: 1, column: 4), "control characters are not allowed"),
    ])
    func syntaxErrorCarriesLibyamlsProblemAndMark(yaml: String, mark: SourceMark, problem: String) throws {
        let error = try #require(loadError(yaml))
        #expect(error.message.hasPrefix(problem), "\(error)")
        #expect(error.mark == mark, "\(error)")
        #expect(error.description.hasPrefix("test.yaml:\(mark.line):\(mark.column): "))
    }

    @Test func exactlyOneDocument() throws {
        #expect(try YAML.parse("") == nil)
        #expect(try YAML.parse("# only a comment\n") == nil)
        #expect(try json("---\na: 1\n...\n") == ["a": 1])
        let error = try #require(loadError("a: 1\n---\nb: 2\n"))
        #expect(error.message.contains("second YAML document"))
        #expect(error.mark == SourceMark(line: 2, column: 1))
    }

    @Test func nodeTreeKeepsWhatWasWritten() throws {
        let document = try #require(try YAML.parse("k: !path &p \"$.a\"\nl: [1]"))
        guard case .mapping(let members) = document.root.kind else {
            Issue.record("expected a mapping")
            return
        }
        let value = members[0].value
        #expect(members.map { $0.key.scalarText } == ["k", "l"])
        #expect(value.tag == "!path")
        #expect(value.anchor == "p")
        #expect(value.scalarText == "$.a")
        #expect(value.scalarStyle == .doubleQuoted)
        #expect(value.mark == SourceMark(line: 1, column: 4))
        #expect(value.contentMark == SourceMark(line: 1, column: 13))
        #expect(members[1].value.kindName == "sequence")
    }
}

@Suite struct YAMLErrorTests {
    @Test(arguments: [
        (YAMLError("bad", file: "m.yaml", mark: SourceMark(line: 3, column: 7)), "m.yaml:3:7: bad"),
        (YAMLError("bad", mark: SourceMark(line: 3, column: 7)), "3:7: bad"),
        (YAMLError("bad", file: "m.yaml"), "m.yaml: bad"),
        (YAMLError("bad"), "bad"),
    ])
    func describesFileLineColumn(error: YAMLError, description: String) {
        #expect(error.description == description)
    }
}

@Suite struct SuggestionsTests {
    static let directives = ["path", "if", "arrayPath", "template", "literal", "case", "replace", "json"]

    @Test(arguments: [
        ("pth", "path"), ("paht", "path"), ("Path", "path"), ("arraypath", "arrayPath"), ("arrayPaths", "arrayPath"),
        ("tempalte", "template"), ("literl", "literal"), ("iff", "if"), ("jsn", "json"), ("replce", "replace"),
    ])
    func suggestsAPlausibleTypo(word: String, expected: String) {
        #expect(Suggestions.closest(to: word, among: Self.directives) == expected)
    }

    @Test(arguments: ["zzz", "", "path", "transformation", "x", "properties"])
    func staysQuietWhenNothingIsClose(word: String) {
        #expect(Suggestions.closest(to: word, among: Self.directives) == nil)
    }
}
