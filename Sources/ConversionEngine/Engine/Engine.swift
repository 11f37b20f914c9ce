import JSONKit
import Logging
import MappingKit

/// Turns events into records with outcomes: triggers decide which mappings fire, each fired
/// mapping builds its action's fields, and the pipeline's stages settle every record.
///
/// Everything is compiled when the engine is built (triggers, mappings, schemas, the
/// pipeline); processing an event only evaluates them.
///
/// ```swift
/// let engine = try Engine(mappings: files, actions: catalog, pipeline: pipeline)
/// var batch = Batch()
/// for (line, event) in events.enumerated() {
///     try engine.route(event, line: line + 1, into: &batch)
/// }
/// try await engine.process(&batch)
/// for record in batch.records { print(record.mapping, record.outcome) }
/// ```
public struct Engine: Sendable {
    /// More mappings than this for one destination is a load error.
    public static let maxMappings = 50

    /// One loaded mapping file, compiled. A class: the routing loop touches every mapping for
    /// every event and must not copy (and retain) its parts each time.
    public final class CompiledMapping: Sendable {
        public let name: String
        public let action: String
        public let enabled: Bool
        public let trigger: Trigger
        /// The mapping that runs: the file's mapping, over the action's defaults when the
        /// file sets `defaults: true`.
        public let mapping: Mapping
        public let schema: ActionSchema
        public let file: String?

        init(name: String, action: String, enabled: Bool, trigger: Trigger, mapping: Mapping, schema: ActionSchema, file: String?) {
            self.name = name
            self.action = action
            self.enabled = enabled
            self.trigger = trigger
            self.mapping = mapping
            self.schema = schema
            self.file = file
        }

        /// The same mapping, enabled.
        func enabling() -> CompiledMapping {
            enabled ? self : CompiledMapping(
                name: name, action: action, enabled: true, trigger: trigger, mapping: mapping, schema: schema, file: file)
        }
    }

    /// Every loaded mapping, enabled or not, in load order.
    public let mappings: [CompiledMapping]
    public let actions: ActionCatalog
    public let pipeline: Pipeline
    public var logger: Logger
    private let active: [CompiledMapping]
    /// The triggers of `active`, side by side: routing tests them for every event read in
    /// place, passing over those that cannot fire for the event's name.
    private let activeTriggers: TriggerSet
    /// What the pipeline's stages read of each event, for events routed from documents.
    private let eventParts: EventParts
    /// The fused plan of each of `active` (nil where its mapping runs the general path).
    private let plans: [(any FusedPlan)?]

    /// Compiles `files` against `actions`. `enableAll` also runs mappings written `enabled: false`;
    /// `planner`, a destination's, fuses what it can of each mapping and the pipeline (``FusedPlan``).
    public init(
        mappings files: [MappingFile], actions: ActionCatalog, pipeline: Pipeline, enableAll: Bool = false,
        planner: (any FusedPlanning)? = nil, logger: Logger = Logger(label: "conversion-engine")
    ) throws(EngineError) {
        guard files.count <= Self.maxMappings else {
            throw EngineError("\(files.count) mappings loaded; at most \(Self.maxMappings) are allowed for one destination")
        }
        var compiled: [CompiledMapping] = []
        var names = Set<String>()
        for file in files {
            guard names.insert(file.name).inserted else {
                throw EngineError("\(file.file ?? file.name): another mapping is already named '\(file.name)'")
            }
            let mapping = try Self.compile(file, actions: actions)
            compiled.append(enableAll ? mapping.enabling() : mapping)
        }
        self.mappings = compiled
        let active = compiled.filter(\.enabled)
        self.active = active
        self.activeTriggers = TriggerSet(active.map(\.trigger))
        self.eventParts = EventParts(pipeline.eventNeeds)
        self.plans = active.map { planner?.plan(for: $0, pipeline: pipeline) }
        self.actions = actions
        self.pipeline = pipeline
        self.logger = logger
        if planner != nil { reportFusedMappings() }
    }

    /// The names of the enabled mappings that run fused (``FusedPlan``): one pass from event to
    /// output. The others take the general path (mapping, then each stage): same output, slower.
    public var fusedMappings: [String] {
        zip(active, plans).compactMap { mapping, plan in plan == nil ? nil : mapping.name }
    }

    /// Says at start-up which mappings a planner could not fuse, so that a custom stage or an
    /// unusual mapping does not slow a run silently.
    private func reportFusedMappings() {
        let general = zip(active, plans).compactMap { mapping, plan in plan == nil ? mapping.name : nil }
        logger.debug("mappings run fused", metadata: ["fused": "\(active.count - general.count)", "of": "\(active.count)"])
        guard !general.isEmpty else { return }
        let shown = general.prefix(10).joined(separator: ", ") + (general.count > 10 ? ", …" : "")
        logger.notice(
            "\(general.count) of \(active.count) mappings take the general path, not the fused one (a stage in the pipeline the destination does not fuse, or a mapping it cannot): same output, slower",
            metadata: ["mappings": "\(shown)"])
    }

    /// Compiles one mapping file against its action: checks the action and field names, and
    /// overlays the file's mapping on the action's defaults when it says `defaults: true`.
    /// The result's `mapping` is what runs — and what the file's own `tests:` should check.
    public static func compile(_ file: MappingFile, actions: ActionCatalog) throws(EngineError) -> CompiledMapping {
        let origin = file.file ?? file.name
        func problem(_ message: String, at path: String) -> EngineError {
            let location = file.sourceMap.nearest(path)?.location
            return EngineError(Diagnostic(.error, message, file: origin, at: location?.key ?? location?.value))
        }
        guard let schema = actions[file.action] else {
            var message = "unknown action '\(file.action)' (known: \(actions.names.joined(separator: ", ")))"
            if let guess = Suggestions.closest(to: file.action, among: actions.names) { message += "; did you mean '\(guess)'?" }
            throw problem(message, at: "/action")
        }
        guard case .object(let written) = file.mapping else {
            throw problem("'mapping' must be an object of field names", at: "/mapping")
        }
        for key in written.keys where schema.field(key) == nil {
            var message = "'\(key)' is not a field of \(schema.name)"
            if let guess = Suggestions.closest(to: key, among: schema.fields.map(\.key)) { message += "; did you mean '\(guess)'?" }
            throw problem(message, at: "/mapping/\(key)")
        }
        let routingKeys = schema.fields.filter(\.routing).map(\.key)
        for key in file.destination.keys where !routingKeys.contains(key) {
            var message = "'\(key)' is not a destination setting of \(schema.name) (it takes \(routingKeys.joined(separator: ", ")))"
            if let guess = Suggestions.closest(to: key, among: routingKeys) { message += "; did you mean '\(guess)'?" }
            throw problem(message, at: "/destination/\(key)")
        }
        var source = file.defaults ? schema.defaultMapping : JSONObject()
        for (key, value) in written { source[key] = value }
        // The destination block wins over a routing field written in the mapping.
        for (key, value) in file.destination { source[key] = value }
        let mapping: Mapping
        do {
            mapping = try Mapping(.object(source))
        } catch {
            throw EngineError("\(origin): \(error)")
        }
        return CompiledMapping(
            name: file.name, action: file.action, enabled: file.enabled,
            trigger: file.trigger, mapping: mapping, schema: schema, file: file.file)
    }

    /// The mappings that run.
    public var enabledMappings: [CompiledMapping] { active }

    /// Appends to `batch` one record per enabled mapping whose trigger matches `event`.
    /// A mapping or schema failure yields a rejected record; only a non-object event throws.
    /// Each record's ``Record/event`` holds what the pipeline's stages declare they read
    /// (``Stage/eventNeeds``), as when routing a document.
    public func route(_ event: JSON, line: Int, into batch: inout Batch) throws(EventError) {
        guard case .object = event else {
            throw EventError("an event must be a JSON object, got \(event.typeName)")
        }
        var needed: JSON?
        for compiled in active where compiled.trigger.matches(event) {
            if needed == nil { needed = eventParts.event(from: event) }
            var record = Record(line: line, mapping: compiled.name, action: compiled.action, event: needed!, fields: JSONObject())
            Self.fill(&record, using: compiled) { try compiled.mapping.evaluate(event) }
            batch.append(consume record)
        }
    }

    /// ``route(_:line:into:)`` for an event read in place, the fast way: triggers and mappings
    /// read the document directly and no tree of the whole event is built. Each record's
    /// ``Record/event`` holds only what the pipeline's stages declare they read
    /// (``Stage/eventNeeds``). Same records, same outcomes.
    ///
    /// With `preparingAt` (the `now` the batch will be processed with), mappings that have a
    /// fused plan prepare their records at once (``Record/isPrepared``): same outcomes and
    /// output after ``process(_:now:observe:turn:)``, but fields hold only what delivery reads.
    public func route(_ document: JSONDocument, line: Int, into batch: inout Batch, preparingAt now: Int64? = nil) throws(EventError) {
        guard document.isObject else {
            throw EventError("an event must be a JSON object, got \(document.typeName)")
        }
        var event: JSON?
        activeTriggers.forEachMatch(in: document) { position in
            let compiled = active[position]
            if event == nil { event = eventParts.event(from: document) }
            var record = Record(line: line, mapping: compiled.name, action: compiled.action, event: event!, fields: JSONObject())
            if let now, let plan = plans[position], plan.prepare(&record, from: document, now: now) {
                batch.append(consume record)
                return
            }
            Self.fill(&record, using: compiled) { try compiled.mapping.evaluate(document) }
            batch.append(consume record)
        }
    }

    /// The record `compiled` makes of `event`, rejected if mapping or schema fails.
    public static func record(for event: JSON, line: Int, using compiled: CompiledMapping) -> Record {
        var record = Record(line: line, mapping: compiled.name, action: compiled.action, event: event, fields: JSONObject())
        fill(&record, using: compiled) { try compiled.mapping.evaluate(event) }
        return record
    }

    /// Sets the record's fields from the mapping's output, or rejects it.
    private static func fill(_ record: inout Record, using compiled: CompiledMapping, mapping: () throws -> JSON?) {
        do {
            let payload = try mapping() ?? .object(JSONObject())
            record.fields = try compiled.schema.prepare(payload)
        } catch let violation as SchemaViolation {
            record.reject(violation.message)
        } catch {
            record.reject("mapping: \(error)")
        }
    }

    /// Runs the pipeline over `batch`. `now` (seconds since 1970) stands in for missing
    /// event times; `observe` sees the batch after each stage; `turn` is the batch's place in
    /// the input when batches are processed at once (``StageContext/turn``).
    public func process(
        _ batch: inout Batch, now: Int64? = nil,
        observe: ((_ stage: String, _ batch: Batch) -> Void)? = nil, turn: InputOrder.Turn? = nil
    ) async throws {
        try await pipeline.run(&batch, now: now ?? Self.currentTime(), logger: logger, observe: observe, turn: turn)
    }

    /// Routes and processes `events` in one batch; lines count from 1. An event that is not
    /// a JSON object comes back as a rejected record with no mapping (`mapping` is empty) and
    /// the reason.
    public func process(events: [JSON], now: Int64? = nil) async throws -> [Record] {
        var batch = Batch()
        for (i, event) in events.enumerated() {
            do {
                try route(event, line: i + 1, into: &batch)
            } catch {
                var record = Record(line: i + 1, mapping: "", action: "", event: event, fields: JSONObject())
                record.reject(error.message)
                batch.append(consume record)
            }
        }
        try await process(&batch, now: now)
        return batch.records
    }

    /// Seconds since 1970, as ``process(_:now:observe:turn:)`` takes them.
    public static func currentTime() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec)
    }
}

/// Why an engine could not be built: a configuration problem, with the file it comes from.
public struct EngineError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// Where in a mapping file the problem is, when it is in one.
    public var diagnostic: Diagnostic?

    public init(_ message: String) { self.message = message }

    public init(_ diagnostic: Diagnostic) {
        self.message = diagnostic.description
        self.diagnostic = diagnostic
    }

    public var description: String { message }
}

/// Why one event could not be routed (the run goes on with the next one).
public struct EventError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
