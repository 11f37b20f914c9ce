// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "tiktok-offline",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "MappingKit", targets: ["MappingKit"]),
        .executable(name: "tiktok-offline", targets: ["tiktok-offline"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        .target(name: "MappingKit", dependencies: ["CYAML"]),
        .executableTarget(
            name: "tiktok-offline",
            dependencies: [
                "MappingKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
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
            name: "CLITests",
            dependencies: ["tiktok-offline", "MappingKit"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
