import Testing

/// The vector files hold the cases the parameterized tests expect, kind by kind.
@Suite struct VectorFileTests {
    @Test(arguments: Fixtures.vectorCounts.flatMap { file, kinds in kinds.map { (file, $0.key, $0.value) } })
    func eachKindHasItsPinnedCount(file: String, kind: String, count: Int) {
        #expect(Fixtures.vectors(file, kind: kind).count == count)
    }
}
