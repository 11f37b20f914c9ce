import CYAML

/// One libyaml parsing event, copied out of C memory.
enum YAMLEvent {
    case streamStart
    case streamEnd
    case documentStart(SourceMark)
    case documentEnd
    case alias(anchor: String, mark: SourceMark)
    case scalar(String, style: YAMLScalarStyle, tag: String?, anchor: String?, mark: SourceMark)
    case sequenceStart(tag: String?, anchor: String?, mark: SourceMark)
    case sequenceEnd
    case mappingStart(tag: String?, anchor: String?, mark: SourceMark)
    case mappingEnd
}

/// Pulls events from libyaml's event parser (`yaml_parser_parse`) over UTF-8 bytes that
/// the caller keeps alive for the reader's lifetime.
final class LibYAMLEvents {
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let file: String?
    private let source: SourceText

    init(bytes: UnsafeBufferPointer<UInt8>, source: SourceText, file: String?) {
        parser = .allocate(capacity: 1)
        // Only fails when out of memory.
        precondition(yaml_parser_initialize(parser) == 1, "libyaml could not allocate its parser")
        yaml_parser_set_input_string(parser, bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!, bytes.count)
        yaml_parser_set_encoding(parser, YAML_UTF8_ENCODING)
        self.file = file
        self.source = source
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deallocate()
    }

    func next() throws(YAMLError) -> YAMLEvent {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else { throw parserError() }
        defer { yaml_event_delete(&event) }
        let mark = SourceMark(event.start_mark)
        switch event.type {
        case YAML_STREAM_START_EVENT:
            return .streamStart
        case YAML_DOCUMENT_START_EVENT:
            return .documentStart(mark)
        case YAML_DOCUMENT_END_EVENT:
            return .documentEnd
        case YAML_ALIAS_EVENT:
            return .alias(anchor: String(cString: event.data.alias.anchor), mark: mark)
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
            return .scalar(
                text, style: YAMLScalarStyle(scalar.style), tag: String(optionalCString: scalar.tag),
                anchor: String(optionalCString: scalar.anchor), mark: mark)
        case YAML_SEQUENCE_START_EVENT:
            let start = event.data.sequence_start
            return .sequenceStart(
                tag: String(optionalCString: start.tag), anchor: String(optionalCString: start.anchor), mark: mark)
        case YAML_SEQUENCE_END_EVENT:
            return .sequenceEnd
        case YAML_MAPPING_START_EVENT:
            let start = event.data.mapping_start
            return .mappingStart(
                tag: String(optionalCString: start.tag), anchor: String(optionalCString: start.anchor), mark: mark)
        case YAML_MAPPING_END_EVENT:
            return .mappingEnd
        default:
            return .streamEnd
        }
    }

    /// libyaml's own description of a syntax error: its problem, where it was found, and
    /// the construct it was reading ("while parsing a block mapping that started at 2:3").
    private func parserError() -> YAMLError {
        let p = parser.pointee
        var message = String(optionalCString: p.problem) ?? "the text is not valid YAML"
        var mark: SourceMark?
        switch p.error {
        case YAML_READER_ERROR:
            // The reader reports a byte offset rather than a mark.
            mark = source.mark(atByteOffset: p.problem_offset)
            if p.problem_value >= 0 {
                message += " (#x\(String(p.problem_value, radix: 16, uppercase: true)))"
            }
        case YAML_SCANNER_ERROR, YAML_PARSER_ERROR:
            mark = SourceMark(p.problem_mark)
            if let context = String(optionalCString: p.context) {
                message += " \(context)"
                let contextMark = SourceMark(p.context_mark)
                if contextMark != mark { message += " that started at \(contextMark)" }
            }
        case YAML_MEMORY_ERROR:
            message = "out of memory while parsing YAML"
        default:
            break
        }
        return YAMLError(message, file: file, mark: mark)
    }
}

extension SourceMark {
    init(_ mark: yaml_mark_t) {
        self.init(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }
}

extension YAMLScalarStyle {
    init(_ style: yaml_scalar_style_t) {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: self = .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: self = .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: self = .literal
        case YAML_FOLDED_SCALAR_STYLE: self = .folded
        default: self = .plain
        }
    }
}

extension String {
    init?(optionalCString pointer: UnsafePointer<some BinaryInteger>?) {
        guard let pointer else { return nil }
        let bytes = UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self)
        self.init(cString: bytes)
    }
}
