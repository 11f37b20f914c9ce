@testable import JSONKit
import Testing

/// `JSONDocument` reads JSON in place; everything it answers must equal what the tree says.
@Suite struct JSONDocumentTests {
    static let texts = [
        #"{"b":1,"a":[true,null,43.98,-0.5,1e21,"x\n\u00e9"]}"#,
        #"{"a":1,"b":2,"a":3}"#,
        #"{"k\u0065y":"v\"w","nested":{"deep":{"deeper":[1,[2,{"x":"é"}]]}},"empty":{},"none":[]}"#,
        "123456789012345678901",
        "  \"just a string\"  ",
        "[]",
        "null",
        #"{"":"empty key","emoji":"😀","int":-9007199254740993,"big":1e300}"#,
    ]

    @Test(arguments: texts)
    func buildsTheSameTree(text: String) throws {
        let document = try JSONDocument(parsing: text)
        #expect(document.json == (try JSON.parse(text)))
        #expect(document.json.serialized() == (try JSON.parse(text)).serialized())
    }

    @Test(arguments: ["{", "[1,]", "01", "\"abc", "{\"a\" 1}", "tru", "1 2", "{\"a\":\"\\x\"}", "\"\u{01}\"", "{\"a\":1,}"])
    func failsLikeTheParser(text: String) throws {
        var treeError: JSONParseError?
        do { _ = try JSON.parse(text) } catch { treeError = error }
        var documentError: JSONParseError?
        var document = JSONDocument()
        do {
            var text = text
            try text.withUTF8 { buffer in
                Result { () throws(JSONParseError) in try document.parse(UnsafeRawBufferPointer(buffer)) }
            }.get()
        } catch {
            documentError = error
        }
        #expect(documentError != nil)
        #expect(documentError == treeError)
        #expect(document.isEmpty)
    }

    @Test func boundsDepthAndSize() {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: JSONParseError.self) { try JSONDocument(parsing: deep) }
        let big = "\"" + String(repeating: "a", count: 2_000) + "\""
        #expect(throws: JSONParseError.self) { try JSONDocument(parsing: big, limits: JSONLimits(maxDepth: 8, maxBytes: 1_000)) }
    }

    /// Paths walk a document as they walk the tree: falsy values stop the walk, arrays and
    /// strings answer `length` and indexes, repeated keys give the last value. Top-level keys
    /// that share their first eight bytes, or their length, stay apart; missing keys are missed.
    @Test func reusesItsStorage() throws {
        var document = JSONDocument()
        for text in Self.texts {
            var text = text
            try text.withUTF8 { buffer in
                Result { () throws(JSONParseError) in try document.parse(UnsafeRawBufferPointer(buffer)) }
            }.get()
            #expect(document.json == (try JSON.parse(text)))
        }
    }

    /// Documents are values: a copy keeps reading what it held when the original parses again
    /// (the nodes are shared until then, and a parse never writes into nodes a copy still reads).
    @Test func aCopyKeepsItsValueWhenTheOriginalParsesAgain() throws {
        var document = try JSONDocument(parsing: #"{"a":{"b":[1,2,3]},"c":"kept"}"#)
        let copy = document
        var next = #"{"x":[true,false,null,{"y":"replaced","z":[4,5,6,7,8,9]}]}"#
        try next.withUTF8 { buffer in
            Result { () throws(JSONParseError) in try document.parse(UnsafeRawBufferPointer(buffer)) }
        }.get()
        #expect(copy.json == (try JSON.parse(#"{"a":{"b":[1,2,3]},"c":"kept"}"#)))
        #expect(document.json == (try JSON.parse(next)))
        #expect(copy.value(atKeys: [Array("c".utf8)]) == "kept")
    }

    @Test func readsMembersAlongKeys() throws {
        let document = try JSONDocument(parsing: #"{"context":{"consent":{"categoryPreferences":{"Advertising":false}}},"x":1}"#)
        #expect(document.value(atKeys: [Array("context".utf8), Array("consent".utf8)]) == ["categoryPreferences": ["Advertising": false]])
        #expect(document.value(atKeys: [Array("x".utf8), Array("y".utf8)]) == nil)
        #expect(document.value(atKeys: [Array("missing".utf8)]) == nil)
    }

    /// A value read after its document parsed something else stops the program rather than
    /// reading whatever node now has its index; so does a value read from another document.
    @Test func aStaleValueIsCaughtNotMisread() async throws {
        let fresh = try JSONDocument(parsing: #"{"a":"one"}"#)
        let root = try #require(fresh.root)
        let value = try #require(fresh.member("a", of: root))
        #expect(fresh.string(value) == "one")
        await #expect(processExitsWith: .failure) {
            var document = try JSONDocument(parsing: #"{"a":"one"}"#)
            let value = document.member("a", of: document.root!)!
            var next = #"{"b":"two"}"#
            try next.withUTF8 { buffer in
                Result { () throws(JSONParseError) in try document.parse(UnsafeRawBufferPointer(buffer)) }
            }.get()
            _ = document.string(value)
        }
        await #expect(processExitsWith: .failure) {
            let one = try JSONDocument(parsing: #"{"a":"one"}"#)
            let other = try JSONDocument(parsing: #"{"a":"two"}"#)
            _ = other.string(one.member("a", of: one.root!)!)
        }
    }
}
