// swift-tools-version: 6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "kansoku",
    // Linux only: the sources import Glibc and use Linux's file and memory calls. (With no
    // `platforms` entry SwiftPM claims nothing about Apple systems.)
    products: [
        .executable(name: "kansoku", targets: ["kansoku"]),
        .executable(name: "kansoku-bench", targets: ["kansoku-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.24.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.2.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    ],
    targets: [
        // C shims
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .target(name: "CKansokuRE2", linkerSettings: [.linkedLibrary("re2"), .linkedLibrary("stdc++")]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CKansokuTerm"),
        .target(name: "CKansokuCRC32C"),
        .target(name: "CKansokuByteSearch"),
        .target(name: "CKansokuPrefetch"),

        // Libraries, bottom to top.
        .target(name: "KansokuCore", dependencies: [
            "CKansokuRE2", "CKansokuCRC32C", "CZstd",
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: swiftSettings),
        .target(name: "KansokuLogStore", dependencies: [
            "KansokuCore",
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["FORMAT.md"], swiftSettings: swiftSettings),
        .target(name: "KansokuObjectStore", dependencies: [
            "KansokuCore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
        // Go's text/template, shared by LogQL's line_format and alert templates.
        .target(name: "KansokuTemplate", dependencies: ["KansokuCore"], swiftSettings: swiftSettings),
        .target(name: "KansokuLogQL", dependencies: ["CKansokuByteSearch", "KansokuCore", "KansokuLogStore", "KansokuTemplate"], swiftSettings: swiftSettings),
        .target(name: "KansokuMetricStore", dependencies: [
            "KansokuCore",
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["FORMAT.md"], swiftSettings: swiftSettings),
        .target(name: "KansokuPromQL", dependencies: ["CKansokuPrefetch", "KansokuCore", "KansokuMetricStore"], swiftSettings: swiftSettings),
        .target(name: "KansokuIngest", dependencies: [
            "KansokuCore", "KansokuLogStore", "CZlib",
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["Tail/FORMAT.md"], swiftSettings: swiftSettings),
        .target(name: "KansokuScrape", dependencies: [
            "KansokuCore", "KansokuMetricStore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
        .target(name: "KansokuRemoteWrite", dependencies: [
            "KansokuCore", "KansokuMetricStore", "KansokuIngest",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
        .target(name: "KansokuRules", dependencies: [
            "KansokuCore", "KansokuTemplate", "KansokuLogQL", "KansokuPromQL", "KansokuMetricStore",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .target(name: "KansokuExplain", dependencies: ["KansokuCore", "KansokuLogStore", "KansokuLogQL"], swiftSettings: swiftSettings),
        .target(name: "KansokuNotify", dependencies: [
            "KansokuCore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ], swiftSettings: swiftSettings),
        .target(name: "KansokuServer", dependencies: [
            "KansokuCore", "KansokuLogStore", "KansokuLogQL", "KansokuMetricStore", "KansokuPromQL",
            "KansokuIngest", "KansokuScrape", "KansokuRules", "KansokuNotify", "KansokuExplain", "KansokuRemoteWrite",
            "KansokuObjectStore",
            .product(name: "Yams", package: "Yams"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ], swiftSettings: swiftSettings),
        .target(name: "KansokuTUI", dependencies: [
            "KansokuCore", "CKansokuTerm", "KansokuExplain",
            .product(name: "Yams", package: "Yams"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: swiftSettings),

        // Executables: argument parsing only.
        .executableTarget(name: "kansoku", dependencies: [
            "KansokuCore", "KansokuServer", "KansokuTUI", "KansokuRules", "KansokuExplain",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .executableTarget(name: "kansoku-bench", dependencies: [
            "KansokuCore", "KansokuLogStore", "KansokuLogQL", "KansokuMetricStore", "KansokuPromQL",
            "KansokuScrape", "KansokuRules", "KansokuTUI", "KansokuExplain", "KansokuIngest",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: swiftSettings),

        // Fast unit tests, one target per module, and what several test targets share.
        .target(name: "KansokuTestSupport", path: "Tests/KansokuTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "KansokuCoreTests", dependencies: ["KansokuCore"], swiftSettings: swiftSettings),
        .testTarget(name: "KansokuLogStoreTests", dependencies: ["KansokuLogStore"], swiftSettings: swiftSettings),
        .testTarget(name: "KansokuObjectStoreTests", dependencies: [
            "KansokuTestSupport", "KansokuObjectStore", "KansokuCore", .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: swiftSettings),
        .testTarget(name: "KansokuTemplateTests", dependencies: ["KansokuTemplate", "KansokuCore", "KansokuLogQL", "KansokuRules"], swiftSettings: swiftSettings),
        .testTarget(name: "KansokuLogQLTests", dependencies: ["KansokuTestSupport", "KansokuLogQL", "KansokuLogStore"], swiftSettings: swiftSettings),
        .testTarget(name: "KansokuMetricStoreTests", dependencies: ["KansokuMetricStore"], swiftSettings: swiftSettings),
        .testTarget(name: "KansokuPromQLTests", dependencies: ["KansokuTestSupport", "KansokuPromQL"], swiftSettings: swiftSettings),
        .testTarget(name: "KansokuIngestTests", dependencies: ["KansokuIngest"], swiftSettings: swiftSettings),
        .testTarget(name: "KansokuScrapeTests", dependencies: ["KansokuTestSupport", "KansokuScrape"], swiftSettings: swiftSettings),
        .testTarget(name: "KansokuRulesTests", dependencies: ["KansokuTestSupport", "KansokuRules"], swiftSettings: swiftSettings),
        .testTarget(name: "KansokuNotifyTests", dependencies: [
            "KansokuNotify", "KansokuTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
        .testTarget(name: "KansokuRemoteWriteTests", dependencies: ["KansokuRemoteWrite", "KansokuMetricStore", "KansokuCore"], swiftSettings: swiftSettings),
        .testTarget(name: "KansokuServerTests", dependencies: ["KansokuServer"], swiftSettings: swiftSettings),
        .testTarget(name: "KansokuTUITests", dependencies: ["KansokuTUI", "KansokuExplain"], swiftSettings: swiftSettings),
        .testTarget(name: "KansokuExplainTests", dependencies: ["KansokuExplain", "KansokuLogQL", "KansokuLogStore"], swiftSettings: swiftSettings),
        // Heavy tests of the real binary: crash, interop with real peers, tmux.
        .testTarget(name: "KansokuEndToEndTests", dependencies: [
            "KansokuCore", "KansokuLogStore", "KansokuIngest", "KansokuNotify", "KansokuTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: swiftSettings),
    ]
)

// Coverage-guided fuzz targets (`make fuzz`): one executable per input surface. In a plain
// build each replays the files it is given; built with `-DFUZZING -sanitize=fuzzer` it is
// a libFuzzer binary (Fuzz/README.md).
package.targets += [
    .target(name: "CFuzzDriver", path: "Fuzz/Driver"),
    .target(name: "FuzzSupport", dependencies: ["CFuzzDriver"], path: "Fuzz/Support", swiftSettings: swiftSettings),
] + [
    ("fuzz-promql", "PromQL", ["KansokuCore", "KansokuMetricStore", "KansokuPromQL", .product(name: "Logging", package: "swift-log")]),
    ("fuzz-logql", "LogQL", ["KansokuCore", "KansokuLogStore", "KansokuLogQL", .product(name: "Logging", package: "swift-log")]),
    ("fuzz-exposition", "Exposition", ["KansokuScrape"]),
    ("fuzz-push", "Push", ["KansokuCore", "KansokuIngest"]),
    ("fuzz-template", "Template", ["KansokuCore", "KansokuLogQL", "KansokuRules"]),
    ("fuzz-yaml", "YAML", ["KansokuRules", "KansokuServer"]),
    ("fuzz-keys", "Keys", ["KansokuTUI"]),
] .map { (name: String, dir: String, deps: [Target.Dependency]) in
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + deps, path: "Fuzz/\(dir)", swiftSettings: swiftSettings)
}
