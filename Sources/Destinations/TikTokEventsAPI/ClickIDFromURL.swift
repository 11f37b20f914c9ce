/// The `ttclid` query parameter of a page URL, read the way the reference does with
/// `new URL(url).searchParams.get("ttclid")`: only from a URL that parses, only when not empty.
package enum ClickIDFromURL {
    package static func ttclid(in url: String) -> String? {
        parameter(in: url).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The first `ttclid` parameter's value even when it is empty (`?ttclid=` gives `""`), as
    /// `searchParams.get` returns it; nil when the URL does not parse or has none.
    package static func parameter(in url: String) -> String? {
        guard mayHoldClickID(url), let query = query(ofAbsoluteURL: url) else { return nil }
        for pair in query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let name: ArraySlice<UInt8>
            let value: ArraySlice<UInt8>
            if let eq = pair.firstIndex(of: UInt8(ascii: "=")) {
                name = pair[pair.startIndex..<eq]
                value = pair[(eq + 1)...]
            } else {
                name = pair
                value = []
            }
            guard formDecode(name) == "ttclid" else { continue }
            return formDecode(value)
        }
        return nil
    }

    /// ``ttclid(in:)`` for a URL given as UTF-8 text: no string is made for most URLs.
    package static func ttclid(utf8 url: UnsafeRawBufferPointer) -> String? {
        mayHoldClickID(utf8: url) ? ttclid(in: String(decoding: url, as: UTF8.self)) : nil
    }

    /// False when `url` cannot name a `ttclid` parameter: no `?`, and neither `ttclid` nor a
    /// percent escape (which could spell it) anywhere. Spares most URLs the full parse.
    package static func mayHoldClickID(_ url: String) -> Bool {
        var url = url
        return url.withUTF8 { mayHoldClickID(utf8: UnsafeRawBufferPointer($0)) }
    }

    package static func mayHoldClickID(utf8 bytes: UnsafeRawBufferPointer) -> Bool {
        guard let mark = bytes.firstIndex(of: UInt8(ascii: "?")) else { return false }
        let needle: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0x74, 0x74, 0x63, 0x6C, 0x69, 0x64)  // "ttclid"
        var i = mark + 1
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%") { return true }
            if bytes[i] == needle.0, i + 5 < bytes.count, bytes[i + 1] == needle.1, bytes[i + 2] == needle.2,
                bytes[i + 3] == needle.3, bytes[i + 4] == needle.4, bytes[i + 5] == needle.5
            {
                return true
            }
            i += 1
        }
        return false
    }

    /// The query (without `?` and fragment) of `text` if it is an absolute URL with a scheme
    /// (and, for http-like schemes, a host); `nil` when the URL would not parse.
    package static func query(ofAbsoluteURL text: String) -> ArraySlice<UInt8>? {
        var bytes = Array(text.utf8)
        while let first = bytes.first, first <= 0x20 { bytes.removeFirst() }
        while let last = bytes.last, last <= 0x20 { bytes.removeLast() }
        bytes.removeAll { $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0, isAlpha(bytes[0]),
            bytes[1..<colon].allSatisfy({ isAlpha($0) || isDigit($0) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E })
        else { return nil }
        let scheme = String(decoding: bytes[0..<colon], as: UTF8.self).lowercased()
        var rest = bytes[(colon + 1)...]
        if ["http", "https", "ws", "wss", "ftp"].contains(scheme) {
            while let first = rest.first, first == UInt8(ascii: "/") || first == UInt8(ascii: "\\") { rest = rest.dropFirst() }
            let authorityEnd = rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? rest.endIndex
            var authority = rest[rest.startIndex..<authorityEnd]
            if let at = authority.lastIndex(of: UInt8(ascii: "@")) { authority = authority[(at + 1)...] }
            var host = authority
            if let portColon = authority.lastIndex(of: UInt8(ascii: ":")), authority.first != UInt8(ascii: "[") {
                let port = authority[(portColon + 1)...]
                guard port.allSatisfy(isDigit), port.count <= 5, (Int(String(decoding: port, as: UTF8.self)) ?? 0) <= 65535 else { return nil }
                host = authority[authority.startIndex..<portColon]
            }
            guard !host.isEmpty, !host.contains(where: isForbiddenHostByte) else { return nil }
        }
        guard let questionMark = rest.firstIndex(of: UInt8(ascii: "?")) else { return nil }
        if let hash = rest.firstIndex(of: UInt8(ascii: "#")), hash < questionMark { return nil }
        let afterMark = rest[(questionMark + 1)...]
        let end = afterMark.firstIndex(of: UInt8(ascii: "#")) ?? afterMark.endIndex
        return ArraySlice(afterMark[afterMark.startIndex..<end])
    }

    /// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte.
    package static func formDecode(_ bytes: ArraySlice<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(0x20)
            } else if b == UInt8(ascii: "%"), i + 2 < bytes.endIndex,
                let hi = hexValue(bytes[i + 1]), let lo = hexValue(bytes[i + 2])
            {
                out.append(hi << 4 | lo)
                i += 3
                continue
            } else {
                out.append(b)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }

    private static func isAlpha(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private static func isForbiddenHostByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x00...0x20, 0x23, 0x25, 0x2F, 0x3C, 0x3E, 0x3F, 0x40, 0x5C, 0x5E, 0x7C, 0x7F: true
        default: false
        }
    }
}
