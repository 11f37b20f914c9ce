// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "tiktok-offline",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "MappingKit", targets: ["MappingKit"]),
        .library(name: "ConversionEngine", targets: ["ConversionEngine"]),
        .library(name: "TikTokOffline", targets: ["TikTokOffline"]),
        .executable(name: "tiktok-offline", targets: ["tiktok-offline"]),
        .plugin(name: "LintMappings", targets: ["LintMappings"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        .target(name: "MappingKit", dependencies: ["CYAML"]),
        .target(
            name: "ConversionEngine",
            dependencies: [
                "MappingKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "TikTokOffline",
            dependencies: [
                "MappingKit",
                "ConversionEngine",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            plugins: ["EmbedPresets"]
        ),
        .executableTarget(
            name: "tiktok-offline",
            dependencies: [
                "MappingKit",
                "ConversionEngine",
                "TikTokOffline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "embed-presets", path: "Plugins/Tools/embed-presets"),
        .plugin(
            name: "EmbedPresets",
            capability: .buildTool(),
            dependencies: ["embed-presets"]
        ),
        .plugin(
            name: "LintMappings",
            capability: .command(
                intent: .custom(verb: "lint-mappings", description: "Checks the mapping files under mappings/"),
                permissions: []
            ),
            dependencies: ["tiktok-offline"]
        ),
        .executableTarget(
            name: "EmbeddingExample",
            dependencies: ["ConversionEngine", "TikTokOffline", "MappingKit"],
            path: "Examples/EmbeddingExample"
        ),
        .executableTarget(
            name: "mappingkit-bench",
            dependencies: ["MappingKit"],
            path: "Benchmarks/MappingKitBench"
        ),
        .testTarget(
            name: "MappingKitTests",
            dependencies: ["MappingKit"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "ConversionEngineTests",
            dependencies: ["ConversionEngine", "MappingKit"]
        ),
        .testTarget(
            name: "TikTokOfflineTests",
            dependencies: ["TikTokOffline", "ConversionEngine", "MappingKit"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["tiktok-offline", "MappingKit"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
