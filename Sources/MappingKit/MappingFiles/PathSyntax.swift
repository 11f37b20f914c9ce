/// Spots `@path` strings that cannot be what their author meant. The mapping language itself
/// accepts any string as a path (Segment does), so this is a lint for mapping files only.
enum PathSyntax {
    struct Problem {
        /// 0-based character offset of the offending character.
        var offset: Int
        var message: String
        /// The path works, but likely not as meant: a warning, not an error.
        var isWarning = false
    }

    static func problem(in path: String) -> Problem? {
        let chars = Array(path)
        var start = 0
        if chars.starts(with: ["$", "."]) {
            start = 2
            if chars.count == 2 { return nil }  // "$." is the whole event
        } else if chars.starts(with: ["$", "["]), chars.count > 2, chars[2] == "'" || chars[2] == "\"" {
            start = 1  // $['Order Total']: a top-level key that needs brackets
        } else if chars.first == "$", chars.count > 1 {
            return Problem(offset: 1, message: "expected '.' after '$'")
        }
        if chars.first?.isWhitespace == true || chars.last?.isWhitespace == true {
            return Problem(offset: chars.first?.isWhitespace == true ? 0 : chars.count - 1, message: "leading or trailing space")
        }
        var i = start
        var segmentIsEmpty = true
        var warning: Problem?
        while i < chars.count {
            let c = chars[i]
            switch c {
            case ".":
                if segmentIsEmpty { return Problem(offset: i, message: "empty segment (two dots, or a dot at the start)") }
                if i == chars.count - 1 { return Problem(offset: i, message: "the path ends with '.'") }
                segmentIsEmpty = true
            case "[":
                guard i + 1 < chars.count else { return Problem(offset: i, message: "unclosed '['") }
                let next = chars[i + 1]
                if next == "'" || next == "\"" {
                    // ['key'] or ["key"]
                    guard let close = chars[(i + 2)...].firstIndex(of: next) else {
                        return Problem(offset: i + 1, message: "unterminated quoted key")
                    }
                    guard close + 1 < chars.count, chars[close + 1] == "]" else {
                        return Problem(offset: close, message: "expected ']' after the quoted key")
                    }
                    i = close + 1
                    segmentIsEmpty = false
                } else if next.isNumber {
                    var j = i + 1
                    while j < chars.count, chars[j].isNumber { j += 1 }
                    guard j < chars.count, chars[j] == "]" else { return Problem(offset: j, message: "expected ']' after the index") }
                    i = j
                    segmentIsEmpty = false
                } else {
                    segmentIsEmpty = false  // a literal '[' in a key, as Segment reads it
                    if warning == nil, !chars[(i + 1)...].contains("]") {
                        warning = Problem(
                            offset: i,
                            message: "'[' is never closed, so it is read as part of the key, as Segment does; write ['key'] or [0] to look inside",
                            isWarning: true)
                    }
                }
            default:
                segmentIsEmpty = false
            }
            i += 1
        }
        return warning
    }
}
