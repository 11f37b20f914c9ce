// swift-tools-version: 6.1
// Coverage-guided fuzzing of MappingKit's parsers (libFuzzer with AddressSanitizer). A package
// of its own, since a fuzz target has no `main` (libFuzzer's driver runs it) and links
// libFuzzer: scripts/fuzz.sh builds it, with AddressSanitizer and coverage instrumentation
// (`-sanitize=address -sanitize-coverage=…`) for every module, and runs it. Only this target
// links libFuzzer: with `-sanitize=fuzzer` for every module, the package's build tools (which
// have a `main`) would not link.
import PackageDescription

let package = Package(
    name: "mappingkit-fuzz",
    dependencies: [.package(name: "tiktok-offline", path: "..")],
    targets: [
        .target(name: "FuzzDriver"),
        .executableTarget(
            name: "mappingkit-fuzz",
            dependencies: [
                "FuzzDriver",
                .product(name: "JSONKit", package: "tiktok-offline"),
                .product(name: "MappingKit", package: "tiktok-offline"),
            ],
            swiftSettings: [.unsafeFlags(["-parse-as-library", "-sanitize=fuzzer,address"])],
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address"])]
        ),
    ],
    swiftLanguageModes: [.v6]
)
