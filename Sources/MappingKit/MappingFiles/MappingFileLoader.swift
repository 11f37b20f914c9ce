import JSONKit

/// Turns a mapping file's text into a `MappingFile`, collecting every problem on the way
/// rather than stopping at the first, so `lint` can report them all at once.
struct MappingFileLoader {
    let file: String?
    var diagnostics: [Diagnostic] = []
    var sourceMap: SourceMap

    init(file: String?) {
        self.file = file
        sourceMap = SourceMap(file: file)
    }

    mutating func load(_ text: String, limits: YAMLLimits) throws -> MappingFile {
        let root: JSON
        do {
            guard let document = try YAML.parse(text, file: file, limits: limits) else {
                throw MappingFileError([Diagnostic(.error, "the file is empty; expected name, trigger, action and mapping", file: file)])
            }
            let problems: [YAMLError]
            (root, sourceMap, problems) = document.toJSONCollectingProblems()
            diagnostics += problems.map { Diagnostic(.error, $0.message, file: file, at: $0.mark) }
        } catch let error as YAMLError {
            throw MappingFileError([Diagnostic(.error, error.message, file: file, at: error.mark)])
        }
        guard case .object(let top) = root else {
            throw MappingFileError([
                Diagnostic(.error, "a mapping file must be an object with name, trigger, action and mapping, not \(root.typeName.withArticle)", file: file, at: sourceMap.valueMark(at: "/"))
            ])
        }

        for key in top.keys where !MappingFile.knownKeys.contains(key) {
            var message = "unknown key '\(key)'"
            if let guess = Suggestions.closest(to: key, among: MappingFile.knownKeys) { message += "; did you mean '\(guess)'?" }
            error(message, keyAt: "/\(key)")
        }

        let name = requiredString(top, "name")
        let description = optional(top, "description", as: \.stringValue, expected: "a string")
        let action = requiredString(top, "action")
        let enabled = optional(top, "enabled", as: \.boolValue, expected: "true or false") ?? true
        let defaults = optional(top, "defaults", as: \.boolValue, expected: "true or false") ?? false
        let trigger = compileTrigger(top)
        let (mapping, compiled) = compileMapping(top)
        let destination = readDestination(top)
        let tests = readTests(top)

        // In reading order, whatever order the checks ran in.
        diagnostics.sort { ($0.line ?? 0, $0.column ?? 0) < ($1.line ?? 0, $1.column ?? 0) }
        let errors = diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty, let name, let action, let trigger, let compiled else {
            throw MappingFileError(diagnostics)
        }
        var loaded = MappingFile(
            name: name, description: description, trigger: trigger, action: action, enabled: enabled,
            defaults: defaults, mapping: mapping, compiled: compiled, tests: tests, file: file,
            sourceMap: sourceMap, warnings: diagnostics)
        loaded.destination = destination
        return loaded
    }

    // MARK: - Fields

    mutating func requiredString(_ top: JSONObject, _ key: String) -> String? {
        guard let value = top[key] else {
            error("missing '\(key)'", valueAt: "/")
            return nil
        }
        guard case .string(let s) = value, !s.allSatisfy(\.isWhitespace) else {
            error("'\(key)' must be a non-empty string, not \(value.typeName.withArticle)", valueAt: "/\(key)")
            return nil
        }
        return s
    }

    mutating func optional<T>(_ top: JSONObject, _ key: String, as extract: (JSON) -> T?, expected: String) -> T? {
        guard let value = top[key] else { return nil }
        guard let result = extract(value) else {
            error("'\(key)' must be \(expected), not \(value.typeName.withArticle)", valueAt: "/\(key)")
            return nil
        }
        return result
    }

    mutating func compileTrigger(_ top: JSONObject) -> Trigger? {
        guard let source = requiredString(top, "trigger") else { return nil }
        do {
            let trigger = try Trigger(source)
            for warning in trigger.warnings {
                diagnostics.append(Diagnostic(.warning, warning.message, file: file, at: mark(inScalarAt: "/trigger", offset: warning.column - 1)))
            }
            return trigger
        } catch let error as TriggerSyntaxError {
            var message = "invalid trigger: \(error.message)"
            if let expected = error.expected { message += " (expected \(expected))" }
            diagnostics.append(Diagnostic(.error, message, file: file, at: mark(inScalarAt: "/trigger", offset: error.column - 1)))
            return nil
        } catch {
            self.error("invalid trigger: \(error)", valueAt: "/trigger")
            return nil
        }
    }

    mutating func compileMapping(_ top: JSONObject) -> (JSON, Mapping?) {
        guard let mapping = top["mapping"] else {
            error("missing 'mapping'", valueAt: "/")
            return (.null, nil)
        }
        guard case .object = mapping else {
            error("'mapping' must be an object of field names, not \(mapping.typeName.withArticle)", valueAt: "/mapping")
            return (mapping, nil)
        }
        lintPaths(in: mapping, at: "/mapping")
        do {
            return (mapping, try Mapping(mapping))
        } catch let failure as MappingValidationError {
            for issue in failure.issues { report(issue) }
        } catch {
            self.error("\(error)", valueAt: "/mapping")
        }
        return (mapping, nil)
    }

    /// The `destination:` block: an object whose values are mapping values, checked as a
    /// mapping is (which keys it may have is the action's business, checked when it is compiled).
    mutating func readDestination(_ top: JSONObject) -> JSONObject {
        guard let value = top["destination"] else { return [:] }
        guard case .object(let block) = value, !block.isEmpty else {
            error("'destination' must be an object (event_set_id, event_source, test_event_code), not \(value.typeName.withArticle)",
                  valueAt: "/destination")
            return [:]
        }
        lintPaths(in: value, at: "/destination")
        do {
            _ = try Mapping(value)
        } catch let failure as MappingValidationError {
            for issue in failure.issues {
                error(issue.message, valueAt: issue.path == "/" ? "/destination" : "/destination" + issue.path)
            }
        } catch {
            self.error("\(error)", valueAt: "/destination")
        }
        return block
    }

    /// Places a validation issue (whose path is relative to `mapping`) in the file.
    mutating func report(_ issue: MappingIssue) {
        let base = issue.path == "/" ? "/mapping" : "/mapping" + issue.path
        var message = issue.message
        if let suggestion = issue.suggestion { message += " Did you mean \(suggestion)?" }
        // An unknown directive is best pointed at its key.
        if let range = message.range(of: "invalid directive: ") {
            let directive = message[range.upperBound...].prefix { $0 != "." && $0 != " " }
            if let mark = sourceMap.keyMark(at: base + "/" + directive) {
                diagnostics.append(Diagnostic(.error, message, file: file, at: mark))
                return
            }
        }
        error(message, valueAt: base)
    }

    mutating func readTests(_ top: JSONObject) -> [MappingTestCase] {
        guard let value = top["tests"] else { return [] }
        guard case .array(let entries) = value else {
            error("'tests' must be a list of {name, event, expect}, not \(value.typeName.withArticle)", valueAt: "/tests")
            return []
        }
        var tests: [MappingTestCase] = []
        for (index, entry) in entries.enumerated() {
            let path = "/tests/\(index)"
            guard case .object(let test) = entry else {
                error("a test must be an object with name, event and expect", valueAt: path)
                continue
            }
            for key in test.keys where !["name", "event", "expect", "fires"].contains(key) {
                var message = "unknown key '\(key)' in a test"
                if let guess = Suggestions.closest(to: key, among: ["name", "event", "expect", "fires"]) { message += "; did you mean '\(guess)'?" }
                error(message, keyAt: "\(path)/\(key)")
            }
            guard case .string(let name)? = test["name"] else {
                error("a test needs a 'name' string", valueAt: path)
                continue
            }
            guard let event = test["event"] else {
                error("test '\(name)' needs an 'event'", valueAt: path)
                continue
            }
            let fires = test["fires"]?.boolValue ?? true
            if fires, test["expect"] == nil {
                error("test '\(name)' needs 'expect' (or 'fires: false')", valueAt: path)
                continue
            }
            tests.append(MappingTestCase(name: name, event: event, expect: test["expect"], fires: fires, mark: sourceMap.valueMark(at: path)))
        }
        return tests
    }

    // MARK: - Paths

    /// Reports `@path` and `@arrayPath` paths that cannot be what their author meant.
    mutating func lintPaths(in node: JSON, at path: String) {
        switch node {
        case .object(let object):
            for (key, value) in object {
                let childPath = path + "/" + key
                if key == "@path", case .string(let text) = value {
                    checkPath(text, at: childPath)
                } else if key == "@arrayPath", case .array(let args) = value, case .string(let text)? = args.first {
                    checkPath(text, at: childPath + "/0")
                }
                lintPaths(in: value, at: childPath)
            }
        case .array(let items):
            for (index, item) in items.enumerated() { lintPaths(in: item, at: "\(path)/\(index)") }
        default:
            break
        }
    }

    mutating func checkPath(_ text: String, at path: String) {
        guard let problem = PathSyntax.problem(in: text) else { return }
        diagnostics.append(Diagnostic(
            problem.isWarning ? .warning : .error, "\(problem.isWarning ? "path" : "malformed path") '\(text)': \(problem.message)",
            file: file, at: mark(inScalarAt: path, offset: problem.offset)))
    }

    // MARK: - Locations

    mutating func error(_ message: String, valueAt path: String) {
        diagnostics.append(Diagnostic(.error, message, file: file, at: sourceMap.valueMark(at: path)))
    }

    mutating func error(_ message: String, keyAt path: String) {
        diagnostics.append(Diagnostic(.error, message, file: file, at: sourceMap.keyMark(at: path) ?? sourceMap.valueMark(at: path)))
    }

    /// The position of the character at `offset` inside the scalar written at `path`.
    func mark(inScalarAt path: String, offset: Int) -> SourceMark? {
        guard let location = sourceMap[path] else { return sourceMap.valueMark(at: path) }
        var mark = location.value
        switch location.style {
        case .singleQuoted?, .doubleQuoted?: mark.column += 1 + offset
        case .plain?: mark.column += offset
        default: break  // block scalars: the line of the indicator is the best we can do
        }
        return mark
    }
}

extension String {
    var withArticle: String {
        guard let first = first else { return self }
        return ("aeiou".contains(first) ? "an " : "a ") + self
    }

}
