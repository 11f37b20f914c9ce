import Foundation
import JSONKit
import MappingKit
import ProcessTesting
import Testing

/// Every command in a ```sh block of README.md and docs/ runs as printed and does what the text
/// says: it exits 0, prints the output a `# …` line under it shows, a dry run shows request
/// bodies, a run sends events, and the stand-in's figures count them. (Blocks fenced `text`
/// are synopses and templates with placeholders such as your host or token; they cannot run.)
///
/// Each file's blocks run in order in one scratch folder that links to the repository's
/// `samples/`, `mappings/`, `scripts/` and `Tests/`; `tiktok-offline` and
/// `.build/release/tiktok-offline` there are the binary under test, and `swift build` is a no-op
/// and `swift run PRODUCT` runs the built product (the test run has built them, and SwiftPM's
/// build folder is locked by it). A command ending in `&` keeps running, as in a terminal, until
/// the file is done; the next command starts once the port it listens on accepts connections.
/// `scripts/test.sh` is the one command left out: it is what runs this test.
@Suite("documented commands (processes)", .serialized, .timeLimit(.minutes(10)))
struct DocumentedCommandsTests {
    static let root = Samples.root

    static let files: [String] = {
        let docs = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)) ?? []
        return ["README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    }()

    /// One command as printed, with the output the text shows for it.
    struct Command: CustomStringConvertible {
        var text: String
        var expectedOutput: String?
        var description: String { text }
        var isBackground: Bool { text.hasSuffix("&") }
    }

    /// The commands of every ```sh block of `markdown`, in order: continuation lines joined,
    /// comment lines dropped except `# output` right under a command.
    static func commands(in markdown: String) -> [Command] {
        var commands: [Command] = []
        var inBlock = false
        var pending = ""
        for line in markdown.components(separatedBy: "\n") {
            if line.hasPrefix("```") {
                inBlock = !inBlock && line == "```sh"
                continue
            }
            guard inBlock else { continue }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if pending.isEmpty, trimmed.hasPrefix("#") {
                let shown = trimmed.dropFirst().trimmingCharacters(in: .whitespaces)
                if shown.hasPrefix("{"), !commands.isEmpty, commands[commands.count - 1].expectedOutput == nil {
                    commands[commands.count - 1].expectedOutput = shown
                }
                continue
            }
            if trimmed.isEmpty { continue }
            if trimmed.hasSuffix("\\") {
                pending += trimmed.dropLast() + " "
                continue
            }
            commands.append(Command(text: (pending + trimmed).trimmingCharacters(in: .whitespaces)))
            pending = ""
        }
        return commands
    }

    @Test(arguments: files)
    func everyCommandRunsAsPrinted(file: String) async throws {
        let markdown = try String(contentsOf: Self.root.appendingPathComponent(file), encoding: .utf8)
        let commands = Self.commands(in: markdown).filter { !$0.text.hasPrefix("scripts/test.sh") }
        guard !commands.isEmpty else { return }
        _ = try await Samples.path("events.ndjson")
        let scratch = try Scratch()
        defer { scratch.cleanup() }
        var background: [ToolProcess] = []
        defer { for process in background { process.signal(SIGKILL) } }

        for (n, command) in commands.enumerated() {
            let body = command.isBackground ? String(command.text.dropLast()).trimmingCharacters(in: .whitespaces) : command.text
            let process = try scratch.shell(body, name: "\(n)", background: command.isBackground)
            if command.isBackground {
                background.append(process)
                let port = Self.port(of: body)
                try await waitUntil(timeout: .seconds(30)) {
                    if !process.process.isRunning { throw ToolError("`\(body)` stopped: \(process.stderr)") }
                    return Self.accepts(port: port)
                }
                continue
            }
            let status = await process.wait()
            #expect(status == 0, "\(file): `\(command)` exited \(status): \(process.stderr.suffix(2_000))")
            try await expectDoesWhatItSays(command, process, file: file, scratch: scratch)
        }
        for process in background {
            process.signal(SIGTERM)
            #expect(await process.wait() == 0, "\(file): a background command stopped badly: \(process.stderr.suffix(1_000))")
        }
        background = []
    }

    /// What the text promises beyond exit 0.
    private func expectDoesWhatItSays(_ command: Command, _ process: ToolProcess, file: String, scratch: Scratch) async throws {
        let text = command.text
        if let expected = command.expectedOutput {
            #expect(process.stdout.contains(expected), "\(file): `\(text)` printed \(process.stdout.prefix(500)), the text shows \(expected)")
        }
        if text.contains(" dry-run ") {
            #expect(process.stdout.contains(#""body":"#), "\(file): `\(text)` shows no request body: \(process.stdout.prefix(500))")
        }
        if text.contains("tiktok-offline run ") {
            let sent = process.stdout.split(separator: "\n").first { $0.hasPrefix("sent ") }
                .flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Int($0) } }
            #expect((sent ?? 0) > 0, "\(file): `\(text)` sent nothing: \(process.stdout.prefix(1_500))")
        }
        if text.hasPrefix("scripts/demo.sh") {
            #expect(process.stdout.contains(#""unique_events":1645"#), "the demo delivers the 1,645 events the README counts")
        }
        if text.contains("/__stats") {
            // Delivery runs in the background: what was stored reaches the stand-in a moment later.
            // The URL as the shell sees it: a quoted one ('http://…?a=b') keeps its quotes for `curl`.
            let url = try #require(text.split(separator: " ").first { $0.hasPrefix("http") || $0.hasPrefix("'http") }.map(String.init))
            try await waitUntil(timeout: .seconds(20)) {
                let again = try scratch.shell("curl -s \(url)", name: "stats-\(UUID().uuidString.prefix(4))")
                _ = await again.wait()
                return ((try? JSON.parse(again.stdout))?["unique_events"]?.doubleValue ?? 0) > 0
            }
        }
    }

    /// The port a background command listens on: its `--port`, else the command's default.
    static func port(of command: String) -> Int {
        let words = command.split(separator: " ")
        if let flag = words.firstIndex(of: "--port"), flag + 1 < words.endIndex, let port = Int(words[flag + 1]) { return port }
        return command.contains("mock-tiktok") ? 8787 : 8088
    }

    static func accepts(port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}

/// A folder that looks like the repository to a documented command, with the binaries under test.
struct Scratch {
    let directory: TemporaryDirectory
    let shim: String
    let binaries: String

    init() throws {
        directory = try TemporaryDirectory()
        let fm = FileManager.default
        let root = Samples.root
        for linked in ["samples", "mappings", "scripts", "Tests", "Package.swift"] {
            try fm.createSymbolicLink(atPath: directory.file(linked), withDestinationPath: root.appendingPathComponent(linked).path)
        }
        binaries = URL(fileURLWithPath: ToolBinary.path).deletingLastPathComponent().path
        for folder in [".build/release", ".build/debug", "bin"] {
            try fm.createDirectory(atPath: directory.file(folder), withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: directory.file(folder + "/tiktok-offline"), withDestinationPath: ToolBinary.path)
        }
        shim = directory.file("swift-shim.sh")
        try """
            # `swift` as the documented commands use it, for binaries this test run has built.
            swift() {
              case "$1" in
                build) return 0 ;;
                run) shift; local product=$1; shift; "\(binaries)/$product" "$@" ;;
                *) echo "documented-commands test: 'swift $*' is not run here" >&2; return 97 ;;
              esac
            }
            """.write(toFile: shim, atomically: true, encoding: .utf8)
    }

    /// Runs `command` with bash in the scratch folder; `background` ones replace the shell, so
    /// that a signal reaches them.
    func shell(_ command: String, name: String, background: Bool = false) throws -> ToolProcess {
        let path = directory.file("bin") + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        return try ToolProcess(
            ["-c", "cd \(directory.path) && \(background ? "exec " : "")\(command)"], in: directory, name: "command-\(name)",
            environment: ["PATH": path, "BASH_ENV": shim], executable: "/bin/bash")
    }

    func cleanup() { directory.cleanup() }
}
