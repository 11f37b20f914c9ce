import JSONKit

/// Converts a node tree to JSON (see `YAMLDocument.toJSONWithSourceMap()` for the rules),
/// recording each value's location when asked to.
///
/// A problem confined to one node (an unknown tag, a duplicate key, a value its tag cannot
/// hold) throws at once, unless `collectsProblems`: then it is kept in `problems`, the node
/// is read as if it had no tag (a duplicate key is skipped), and conversion goes on, so that
/// `lint` can report every problem of a file, not only the first.
struct YAMLToJSON {
    private let file: String?
    private let recordsSourceMap: Bool
    private let collectsProblems: Bool
    private(set) var sourceMap: SourceMap
    private(set) var problems: [YAMLError] = []

    init(file: String?, recordsSourceMap: Bool, collectsProblems: Bool = false) {
        self.file = file
        self.recordsSourceMap = recordsSourceMap
        self.collectsProblems = collectsProblems
        sourceMap = SourceMap(file: file)
    }

    /// Throws `problem`, or keeps it when collecting so the caller can carry on.
    private mutating func recover(_ problem: YAMLError) throws(YAMLError) {
        guard collectsProblems else { throw problem }
        problems.append(problem)
    }

    mutating func convert(_ root: YAMLNode) throws(YAMLError) -> JSON {
        try convert(root, path: "/", keyMark: nil)
    }

    private func error(_ message: String, at mark: SourceMark) -> YAMLError {
        YAMLError(message, file: file, mark: mark)
    }

    private mutating func record(_ path: String, key: SourceMark?, value: SourceMark, style: YAMLScalarStyle?) {
        if recordsSourceMap {
            sourceMap[path] = SourceMap.Location(key: key, value: value, style: style)
        }
    }

    private mutating func convert(_ node: YAMLNode, path: String, keyMark: SourceMark?) throws(YAMLError) -> JSON {
        switch YAMLTag(node.tag) {
        case .none:
            return try convertUntagged(node, path: path, keyMark: keyMark)
        case .standard(let standard):
            return try convert(node, as: standard, path: path, keyMark: keyMark)
        case .directive(let name):
            // `!X node` is `{"@X": node}`; the synthesized member is located at the tag.
            record(path, key: keyMark, value: node.mark, style: nil)
            let directive = "@" + name
            let argument = try convertUntagged(
                node, path: recordsSourceMap ? SourceMap.path(path, appending: directive) : "", keyMark: node.mark)
            var object = JSONObject(minimumCapacity: 1)
            object.appendUnchecked(directive, argument)
            return .object(object)
        case .unsupported(let message):
            try recover(error(message, at: node.mark))
            return try convertUntagged(node, path: path, keyMark: keyMark)
        }
    }

    private mutating func convertUntagged(_ node: YAMLNode, path: String, keyMark: SourceMark?) throws(YAMLError) -> JSON {
        record(path, key: keyMark, value: node.contentMark, style: node.scalarStyle)
        switch node.kind {
        case .scalar(let text, let style):
            guard style == .plain, node.tag != "!" else { return .string(text) }
            do {
                return try CoreSchema.resolvePlain(text)
            } catch {
                try recover(self.error(error.message, at: node.contentMark))
                return .string(text)
            }

        case .sequence(let items):
            var array: [JSON] = []
            array.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                let itemPath = recordsSourceMap ? SourceMap.path(path, appending: String(index)) : ""
                array.append(try convert(item, path: itemPath, keyMark: nil))
            }
            return .array(array)

        case .mapping(let members):
            var object = JSONObject(minimumCapacity: members.count)
            // Past a few keys, a set finds duplicates faster than scanning the object.
            var seen: Set<String>? = members.count > 16 ? Set(minimumCapacity: members.count) : nil
            for member in members {
                guard let key = try keyText(member.key) else { continue }
                let isDuplicate: Bool
                if seen != nil {
                    isDuplicate = !seen!.insert(key).inserted
                } else {
                    isDuplicate = object.index(forKey: key) != nil
                }
                if isDuplicate {
                    var message = "duplicate key \"\(key)\""
                    if let first = members.first(where: { $0.key.scalarText == key }) {
                        message += " (first written at \(first.key.mark))"
                    }
                    try recover(error(message, at: member.key.mark))
                    continue
                }
                let memberPath = recordsSourceMap ? SourceMap.path(path, appending: key) : ""
                object.appendUnchecked(key, try convert(member.value, path: memberPath, keyMark: member.key.mark))
            }
            return .object(object)
        }
    }

    /// A mapping key as a JSON object key: the text of a scalar, whatever its style; nil
    /// (when collecting problems) for a key that is not a scalar, whose member is skipped.
    private mutating func keyText(_ key: YAMLNode) throws(YAMLError) -> String? {
        guard case .scalar(let text, _) = key.kind else {
            try recover(error("a key must be a scalar (a string), not a \(key.kindName)", at: key.mark))
            return nil
        }
        switch YAMLTag(key.tag) {
        case .none, .standard(.string): break
        case .standard(let standard):
            try recover(error("a key is always a string; remove its tag \(standard.written)", at: key.mark))
        case .directive(let name):
            try recover(error("a key cannot be a directive; put the tag !\(name) on its value", at: key.mark))
        case .unsupported(let message):
            try recover(error(message, at: key.mark))
        }
        return text
    }

    private mutating func convert(
        _ node: YAMLNode, as tag: YAMLTag.Standard, path: String, keyMark: SourceMark?
    ) throws(YAMLError) -> JSON {
        func mismatch(_ expected: String) -> YAMLError {
            error("the tag \(tag.written) needs \(expected), not a \(node.kindName)", at: node.mark)
        }
        switch tag {
        case .mapping:
            if case .mapping = node.kind {} else { try recover(mismatch("a mapping")) }
            return try convertUntagged(node, path: path, keyMark: keyMark)
        case .sequence:
            if case .sequence = node.kind {} else { try recover(mismatch("a sequence")) }
            return try convertUntagged(node, path: path, keyMark: keyMark)
        case .string, .null, .bool, .int, .float:
            guard let text = node.scalarText else {
                try recover(mismatch("a scalar"))
                return try convertUntagged(node, path: path, keyMark: keyMark)
            }
            record(path, key: keyMark, value: node.contentMark, style: node.scalarStyle)
            let value: JSON?
            do throws(CoreSchema.Failure) {
                switch tag {
                case .null: value = CoreSchema.isNull(text) ? .null : nil
                case .bool: value = CoreSchema.bool(text).map(JSON.bool)
                case .int: value = try CoreSchema.integer(text)
                case .float:
                    if let integer = try CoreSchema.integer(text), let d = integer.doubleValue {
                        value = .double(d)
                    } else {
                        value = try CoreSchema.float(text)
                    }
                default: value = .string(text)
                }
            } catch {
                try recover(self.error(error.message, at: node.contentMark))
                return .string(text)
            }
            guard let value else {
                try recover(error("\"\(text)\" is not a valid \(tag.written) value", at: node.contentMark))
                return .string(text)
            }
            return value
        }
    }
}
