import JSONKit
import Testing

/// The vector files hold the cases the parameterized tests expect, kind by kind.
@Suite struct VectorFileTests {
    @Test(arguments: Fixtures.vectorCounts.flatMap { file, kinds in kinds.map { (file, $0.key, $0.value) } })
    func eachKindHasItsPinnedCount(file: String, kind: String, count: Int) {
        #expect(Fixtures.vectors(file, kind: kind).count == count)
    }
}

/// The vector files parse, and serialize back to the same values.
@Suite struct FixtureTests {
    @Test func vectorFilesLoad() {
        #expect(Fixtures.vectors("mapping.json").count == 189)
        #expect(Fixtures.vectors("fql.json").count == 166)
    }

    @Test func vectorsRoundTrip() throws {
        for name in ["mapping.json", "fql.json"] {
            let value = Fixtures.json(name)
            #expect(try JSON.parse(value.serialized()) == value)
        }
    }
}
