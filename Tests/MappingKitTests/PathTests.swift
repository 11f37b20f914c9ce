import Testing
@testable import MappingKit

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
