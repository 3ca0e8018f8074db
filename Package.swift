// swift-tools-version:5.10
// Heed: token-level attention and norm-based analysis of transformers, in pure Swift.
// No package dependencies: the toolchain's own modules only.
// Module graph (one direction): HeedKernels <- HeedCheckpoints <- HeedModels <- HeedAnalysis
// <- HeedDaemon -> HeedJSONRPC; the `heed` executable sits on HeedDaemon. HeedJSON (the one JSON
// reader and writer) depends on nothing, not even Foundation; HeedTokenizers, HeedCheckpoints and
// HeedJSONRPC sit on it (HeedJSONRPC re-exports it). HeedTokenizers depends on Foundation and
// HeedJSON only; HeedJSONRPC knows nothing of models.
import PackageDescription

// The kernels need AVX2 + FMA: without the target features, SIMD8<Float> FMAs become
// per-lane library calls (0.7 GFLOP/s instead of ~100 per core). Every target with hot
// loops gets these flags; `-Ounchecked` drops overflow/bounds traps in release kernels.
let simd: [SwiftSetting] = [
    .unsafeFlags(["-Xcc", "-march=x86-64-v3"]),
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
]

let package = Package(
    name: "Heed",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "heed", targets: ["heed"]),
    ],
    targets: [
        .target(name: "HeedJSON"),
        .target(name: "HeedKernels", swiftSettings: simd),
        .target(name: "HeedCheckpoints", dependencies: ["HeedKernels", "HeedJSON"], swiftSettings: simd),
        .target(name: "HeedTokenizers", dependencies: ["HeedJSON"]),
        .target(name: "HeedModels", dependencies: ["HeedKernels", "HeedCheckpoints", "HeedTokenizers"], swiftSettings: simd),
        .target(name: "HeedAnalysis", dependencies: ["HeedModels"], swiftSettings: simd),
        .target(name: "HeedJSONRPC", dependencies: ["HeedJSON"]),
        .target(name: "HeedDaemon", dependencies: ["HeedAnalysis", "HeedJSONRPC"], swiftSettings: simd),
        .executableTarget(name: "heed", dependencies: ["HeedDaemon"], swiftSettings: simd),

        .target(name: "HeedTestSupport", dependencies: ["HeedCheckpoints", "HeedAnalysis"], path: "Tests/HeedTestSupport"),
        .target(name: "HeedJSONTestSupport", dependencies: ["HeedAnalysis"], path: "Tests/HeedJSONTestSupport"),
        .testTarget(name: "HeedJSONTests", dependencies: ["HeedJSON", "HeedJSONTestSupport"]),
        .testTarget(name: "HeedKernelsTests", dependencies: ["HeedKernels", "HeedTestSupport"], swiftSettings: simd),
        .testTarget(name: "HeedCheckpointsTests", dependencies: ["HeedCheckpoints"]),
        .testTarget(name: "HeedTokenizersTests", dependencies: ["HeedTokenizers"]),
        .testTarget(name: "HeedModelsTests", dependencies: ["HeedModels", "HeedTestSupport"], swiftSettings: simd),
        .testTarget(name: "HeedAnalysisTests", dependencies: ["HeedAnalysis", "HeedTestSupport"], swiftSettings: simd),
        .testTarget(name: "HeedJSONRPCTests", dependencies: ["HeedJSONRPC", "HeedJSONTestSupport"]),
        .testTarget(name: "HeedDaemonTests", dependencies: ["HeedDaemon", "HeedTestSupport"], swiftSettings: simd),
        .testTarget(name: "HeedCLITests", dependencies: ["HeedDaemon", "HeedTestSupport"], swiftSettings: simd),
        .testTarget(name: "HeedIntegrationTests", dependencies: ["HeedDaemon", "HeedTestSupport"], swiftSettings: simd),
    ]
)
