/// "Did you mean …?" for misspelt names: directive names, tags, field names.
public enum Suggestions {
    /// The candidate closest to `word`, or `nil` when none is close enough to be a
    /// plausible typo. Case differences count as half an edit, a swap of two
    /// neighbouring letters as one; ties go to the earlier candidate.
    ///
    ///     Suggestions.closest(to: "pth", among: ["path", "if"])      // "path"
    ///     Suggestions.closest(to: "arraypath", among: ["arrayPath"]) // "arrayPath"
    ///     Suggestions.closest(to: "zzz", among: ["path"])            // nil
    public static func closest(to word: String, among candidates: some Sequence<String>) -> String? {
        let typed = Array(word.unicodeScalars)
        guard !typed.isEmpty else { return nil }
        // Allow about one edit per three letters, at least one.
        let allowance = max(2, typed.count * 2 / 3)  // in half edits
        var best: (candidate: String, distance: Int)?
        for candidate in candidates where candidate != word {
            let distance = halfEditDistance(typed, Array(candidate.unicodeScalars), limit: allowance)
            if distance <= allowance, distance < (best?.distance ?? .max) {
                best = (candidate, distance)
            }
        }
        return best?.candidate
    }

    /// Optimal-string-alignment distance in half edits: 1 for a case change, 2 for an
    /// insertion, deletion, substitution or transposition. Returns `limit + 1` early when
    /// the lengths alone rule the pair out.
    static func halfEditDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar], limit: Int) -> Int {
        if abs(a.count - b.count) * 2 > limit { return limit + 1 }
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) * 2 }
        func cost(_ x: Unicode.Scalar, _ y: Unicode.Scalar) -> Int {
            if x == y { return 0 }
            return x.properties.lowercaseMapping == y.properties.lowercaseMapping ? 1 : 2
        }
        let width = b.count + 1
        var previous2 = [Int](repeating: 0, count: width)
        var previous = (0..<width).map { $0 * 2 }
        var current = [Int](repeating: 0, count: width)
        for i in 1...a.count {
            current[0] = i * 2
            for j in 1..<width {
                var d = min(previous[j] + 2, current[j - 1] + 2, previous[j - 1] + cost(a[i - 1], b[j - 1]))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d = min(d, previous2[j - 2] + 2)
                }
                current[j] = d
            }
            swap(&previous2, &previous)
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
