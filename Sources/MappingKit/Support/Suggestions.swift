/// "Did you mean …?" for misspelt names: directives, fields, keys, tags.
public enum Suggestions {
    /// The candidate closest to `word` when it is close enough to be a likely typo: within a
    /// third of the word's length (at least 1, at most 3 edits), ignoring case.
    public static func closest(to word: String, among candidates: [String]) -> String? {
        let limit = max(1, min(3, word.unicodeScalars.count / 3))
        return candidates.map { (candidate: $0, distance: distance(word, $0)) }
            .filter { $0.distance <= limit }
            .min { $0.distance < $1.distance }?
            .candidate
    }

    /// Levenshtein distance, case-insensitive.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased().unicodeScalars), b = Array(b.lowercased().unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
