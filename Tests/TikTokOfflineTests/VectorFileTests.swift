import Testing

/// `tiktok.json` holds the cases the parameterized tests expect, kind by kind.
@Suite struct VectorFileTests {
    @Test(arguments: Fixtures.vectorCounts.map { ($0.key, $0.value) })
    func eachKindHasItsPinnedCount(kind: String, count: Int) {
        #expect(Fixtures.vectors(kind: kind).count == count)
    }
}
