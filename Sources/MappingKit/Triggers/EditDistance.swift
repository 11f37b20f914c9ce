/// Levenshtein distance, for "did you mean" suggestions on short words.
enum EditDistance {
    static func between(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// The candidate closest to `word` when it is close enough to be a likely typo
    /// (case differences count as one edit each).
    static func suggestion(for word: String, among candidates: [String]) -> String? {
        let limit = max(1, min(3, word.unicodeScalars.count / 3))
        let ranked = candidates.map { (candidate: $0, distance: between(word, $0)) }
            .filter { $0.distance <= limit }
            .min { $0.distance < $1.distance }
        return ranked?.candidate
    }
}
