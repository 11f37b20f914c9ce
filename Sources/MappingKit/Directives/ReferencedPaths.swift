import JSONKit

extension Mapping {
    /// The payload paths a mapping reads, in mapping order: `@path` arguments as written
    /// (`$.properties.email`) and `@template` placeholders (`traits.name`). Paths computed at
    /// run time are not listed.
    public var referencedPaths: [String] { Mapping.referencedPaths(in: source) }

    /// The payload paths any mapping value reads, without compiling it (so it also works on
    /// values `init` rejects, such as a plain string, which reads nothing).
    public static func referencedPaths(in source: JSON) -> [String] {
        var paths: [String] = []
        collectPaths(source, into: &paths)
        return paths
    }

    private static func collectPaths(_ value: JSON, into paths: inout [String]) {
        switch value {
        case .object(let object):
            for (key, member) in object {
                switch (key, member) {
                case ("@path", .string(let path)):
                    paths.append(path)
                case ("@template", .string(let text)):
                    paths += Template(text).placeholderPaths
                case ("@liquid", .string(let text)):
                    // Variables of `{{ name | filter }}` outputs; tags are not inspected.
                    paths += Template(text).placeholderPaths.map {
                        String($0.prefix { $0 != "|" }).trimmingWhitespace()
                    }
                default:
                    collectPaths(member, into: &paths)
                }
            }
        case .array(let elements):
            for element in elements { collectPaths(element, into: &paths) }
        default:
            return
        }
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var text = Substring(self)
        while text.first?.isWhitespace == true { text.removeFirst() }
        while text.last?.isWhitespace == true { text.removeLast() }
        return String(text)
    }
}
