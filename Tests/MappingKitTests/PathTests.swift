import JSONKit
@testable import MappingKit
import Testing

@Suite struct PathTests {
    @Test(arguments: [
        ("$.a.b", ["a", "b"]),
        ("a[0].b", ["a", "0", "b"]),
        ("a['b c']", ["a", "b c"]),
        ("a[\"x\"]", ["a", "x"]),
        ("a[b]", ["a[b]"]),
        ("a[\"b.c\"]", ["a", "b", "c"]),
        ("a[0]]]b", ["a", "0", "b"]),
        ("$.integrations.TikTok Offline Conversions.ttclid", ["integrations", "TikTok Offline Conversions", "ttclid"]),
        ("x.$.y", ["x", "y"]),
        ("..a..", ["a"]),
    ])
    func splitsSegments(path: String, segments: [String]) {
        #expect(PayloadPath(path, stripsDollarDot: true).segments.map(\.key) == segments)
    }

    @Test func templatesKeepTheDollarDot() {
        #expect(PayloadPath("$.a", stripsDollarDot: false).segments.map(\.key) == ["$", "a"])
    }

    @Test(arguments: ["", ".", "$."])
    func rootPathsReturnThePayload(path: String) {
        let payload: JSON = ["a": 1]
        #expect(PayloadPath(path, stripsDollarDot: true).lookup(in: payload) == payload)
    }

    @Test func falsyIntermediateValuesEndTheWalk() {
        let path = PayloadPath("a.b.c", stripsDollarDot: true)
        #expect(path.lookup(in: ["a": nil]) == .null)
        #expect(path.lookup(in: ["a": 0]) == 0)
        #expect(path.lookup(in: ["a": false]) == false)
        #expect(path.lookup(in: ["a": ""]) == "")
        #expect(path.lookup(in: ["a": ["b": 1]]) == nil)
        #expect(path.lookup(in: ["x": 1]) == nil)
    }

    @Test func stringsAndArraysHaveIndexesAndLength() {
        let payload: JSON = ["s": "héllo", "list": ["a", "b"]]
        func lookup(_ path: String) -> JSON? { PayloadPath(path, stripsDollarDot: true).lookup(in: payload) }
        #expect(lookup("s.length") == 5)
        #expect(lookup("s.1") == "é")
        #expect(lookup("s.9") == nil)
        #expect(lookup("list.length") == 2)
        #expect(lookup("list[1]") == "b")
        #expect(lookup("list.01") == nil)
        #expect(lookup("s.nope") == nil)
    }

    /// Mappings that read the same path share one compiled path; `@path` and template
    /// placeholders (which keep a leading `$.`) do not share theirs.
    @Test func compiledMappingsShareTheirPaths() throws {
        let a = PayloadPath.interned("$.properties.price", stripsDollarDot: true)
        #expect(a === PayloadPath.interned("$.properties.price", stripsDollarDot: true))
        #expect(a !== PayloadPath.interned("$.properties.price", stripsDollarDot: false))
        #expect(a.segments.map(\.key) == ["properties", "price"])

        let first = try Mapping(["price": ["@path": "$.properties.shared_by_two_mappings"]])
        let second = try Mapping(["cost": ["@path": "$.properties.shared_by_two_mappings"]])
        guard case .object(_, let firstMembers) = first.root, case .object(_, let secondMembers) = second.root,
            case .path(let firstPath) = firstMembers[0], case .path(let secondPath) = secondMembers[0]
        else {
            Issue.record("expected an object of one @path")
            return
        }
        #expect(firstPath === secondPath)
    }
}

/// A compiled path finds the same value in a parsed document as in the tree.
@Suite struct DocumentPathTests {
    @Test(arguments: [
        "a", "b", "c.d", "c.d.e", "list[1]", "list.length", "list[5]", "name.length", "name[1]",
        "zero.x", "empty.x", "nothing.x", "flag.x", "k\"ey", "twice", "c", "list", "missing.deep",
        "integrations.a", "integrationsX", "abcdefghij", "abcdefghik", "abcdefgh", "abcdefghi", "é", "", "longerThan8",
        "nest.x", "nest.y", "nest.abcdefghij", "nest.abcdefghik", "nest.z.q", "c.dd", "integrations.A", "nest.",
    ])
    func pathsFindTheSameValues(path: String) throws {
        let text = #"{"a":1,"b":"two","c":{"d":{"e":[1,2]}},"list":[10,{"x":1},30],"name":"Zoë","zero":0,"empty":"","nothing":null,"flag":true,"k\"ey":"escaped","twice":1,"twice":2,"integrations":{"a":"in"},"integrationsX":2,"abcdefghij":3,"abcdefghik":4,"abcdefgh":5,"é":6,"ê":7,"":8,"longerThan8":1,"longerThan8":9,"nest":{"":0,"x":1,"abcdefghij":2}}"#
        let tree = try JSON.parse(text)
        let document = try JSONDocument(parsing: text)
        let compiled = PayloadPath(path, stripsDollarDot: true)
        #expect(compiled.lookup(in: document) == compiled.lookup(in: tree))
    }
}
