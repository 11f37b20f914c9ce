// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "tiktok-offline",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "JSONKit", targets: ["JSONKit"]),
        .library(name: "MappingKit", targets: ["MappingKit"]),
        .library(name: "ConversionEngine", targets: ["ConversionEngine"]),
        .library(name: "Delivery", targets: ["Delivery"]),
        .library(name: "OutboxSQLite", targets: ["OutboxSQLite"]),
        .library(name: "OutboxPostgres", targets: ["OutboxPostgres"]),
        .library(name: "OutboxTesting", targets: ["OutboxTesting"]),
        .library(name: "DestinationTesting", targets: ["DestinationTesting"]),
        .library(name: "Runtime", targets: ["Runtime"]),
        .library(name: "TikTokEventsAPI", targets: ["TikTokEventsAPI"]),
        .library(name: "TikTokOffline", targets: ["TikTokOffline"]),
        .library(name: "TikTokConversions", targets: ["TikTokConversions"]),
        .library(name: "TikTokOfflineServer", targets: ["TikTokOfflineServer"]),
        .library(name: "TikTokMock", targets: ["TikTokMock"]),
        .executable(name: "tiktok-offline", targets: ["tiktok-offline"]),
        .plugin(name: "LintMappings", targets: ["LintMappings"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        .target(name: "JSONKit"),
        .target(name: "MappingKit", dependencies: ["CYAML", "JSONKit"]),
        .target(
            name: "ConversionEngine",
            dependencies: [
                "Delivery",
                "JSONKit",
                "MappingKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Delivery",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "OutboxSQLite",
            dependencies: [
                "CZlib",
                "Delivery",
                "JSONKit",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .target(
            name: "OutboxPostgres",
            dependencies: [
                "Delivery",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .target(name: "OutboxTesting", dependencies: ["Delivery"]),
        .target(name: "DestinationTesting", dependencies: ["ConversionEngine", "Delivery", "JSONKit", "MappingKit"]),
        .target(name: "Runtime", dependencies: ["ConversionEngine", "Delivery", "OutboxPostgres", "OutboxSQLite"]),
        .target(
            name: "TikTokEventsAPI",
            dependencies: [
                "ConversionEngine",
                "Delivery",
                "JSONKit",
                "MappingKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/Destinations/TikTokEventsAPI"
        ),
        .target(
            name: "TikTokOffline",
            dependencies: [
                "Delivery",
                "JSONKit",
                "MappingKit",
                "ConversionEngine",
                "TikTokEventsAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Sources/Destinations/TikTokOffline",
            plugins: ["EmbedPresets"]
        ),
        .target(
            name: "TikTokConversions",
            dependencies: [
                "ConversionEngine",
                "Delivery",
                "JSONKit",
                "MappingKit",
                "TikTokEventsAPI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Sources/Destinations/TikTokConversions",
            plugins: ["EmbedPresets"]
        ),
        .target(
            name: "TikTokOfflineServer",
            dependencies: [
                "Delivery",
                "JSONKit",
                "MappingKit",
                "ConversionEngine",
                "TikTokOffline",
                "TikTokEventsAPI",
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "TikTokMock",
            dependencies: [
                "JSONKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "tiktok-offline",
            dependencies: [
                "Delivery",
                "Runtime",
                "OutboxSQLite",
                "OutboxPostgres",
                "JSONKit",
                "MappingKit",
                "ConversionEngine",
                "TikTokOffline",
                "TikTokConversions",
                "TikTokEventsAPI",
                "TikTokOfflineServer",
                "TikTokMock",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
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
            dependencies: ["ConversionEngine", "TikTokOffline", "TikTokEventsAPI", "JSONKit", "MappingKit"],
            path: "Examples/EmbeddingExample"
        ),
        .executableTarget(
            name: "mappingkit-bench",
            dependencies: ["JSONKit", "MappingKit"],
            path: "Benchmarks/MappingKitBench"
        ),
        .testTarget(name: "JSONKitTests", dependencies: ["JSONKit"]),
        .testTarget(
            name: "MappingKitTests",
            dependencies: ["JSONKit", "MappingKit"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "ConversionEngineTests",
            dependencies: ["ConversionEngine", "JSONKit", "MappingKit", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "TikTokConversionsTests",
            dependencies: ["TikTokConversions", "TikTokEventsAPI", "ConversionEngine", "JSONKit", "MappingKit"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "TikTokEventsAPITests", dependencies: ["TikTokEventsAPI", "ConversionEngine", "Delivery", "JSONKit"]),
        .testTarget(
            name: "TikTokOfflineTests",
            dependencies: [
                "TikTokOffline",
                "TikTokEventsAPI", "ConversionEngine", "JSONKit", "MappingKit", "ProcessTesting", "TikTokMock",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "TikTokOfflineServerTests",
            dependencies: [
                "Delivery",
                "tiktok-offline",
                "TikTokOfflineServer",
                "TikTokOffline",
                "TikTokEventsAPI",
                "ConversionEngine",
                "ProcessTesting",
                "JSONKit",
                "MappingKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["Clients"]
        ),
        .testTarget(
            name: "DestinationTests",
            dependencies: [
                "ConversionEngine",
                "Delivery",
                "DestinationTesting",
                "JSONKit",
                "MappingKit",
                "OutboxPostgres",
                "OutboxSQLite",
                "OutboxTesting",
                "ProcessTesting",
                "Runtime",
                "TikTokConversions",
                "TikTokOffline",
                "TikTokEventsAPI",
            ]
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["tiktok-offline", "JSONKit", "MappingKit", "ProcessTesting"]
        ),
        .target(
            name: "ProcessTesting",
            dependencies: [
                "JSONKit",
                "MappingKit",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/ProcessTesting"
        ),
        .testTarget(
            name: "DeliveryTests",
            dependencies: [
                "OutboxPostgres",
                "Delivery",
                "OutboxSQLite",
                "OutboxTesting",
                "Runtime",
                "ProcessTesting",
                "tiktok-offline",
                "JSONKit",
                "MappingKit",
                "ConversionEngine",
                "TikTokOffline",
                "TikTokEventsAPI",
                "TikTokMock",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
