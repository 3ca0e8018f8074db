// swift-tools-version:5.10
// Heed: token-level attention and norm-based analysis of transformers, in pure Swift.
// No package dependencies: the toolchain's own modules only.
// Module graph (one direction): HeedKernels <- HeedCheckpoints <- HeedModels <- HeedAnalysis
// <- HeedDaemon -> HeedJSONRPC; the `heed` executable sits on HeedDaemon. HeedJSON (the one JSON
// reader and writer) depends on nothing, not even Foundation; HeedTokenizers, HeedCheckpoints and
// HeedJSONRPC sit on it (HeedJSONRPC re-exports it). HeedTokenizers depends on Foundation and
// HeedJSON only; HeedJSONRPC knows nothing of models.
import PackageDescription

// Kernel variants (issue 8): the hot loops live in Sources/HeedKernelsShared, compiled three
// times, as HeedKernelsAVX512 (x86-64-v4), HeedKernelsAVX2 (x86-64-v3) and HeedKernelsPortable
// (baseline), through a symlink `Shared` in each variant's folder; only Width.swift differs.
// HeedKernels picks one at start-up from CPUID (ISA.swift). Everything else, `heed` included, is
// compiled for the baseline CPU so the check runs and can print its message on any CPU.
// Without the target features, SIMD FMAs become per-lane library calls (0.7 GFLOP/s instead of
// ~100 per core), so the variant flags matter.
//
// The x86 flags apply only when the manifest is evaluated on x86-64: `.when(platforms:)` cannot
// test the architecture, and `#if arch(x86_64)` here is the architecture of the machine that
// evaluates the manifest (the host), not the build target. Cross-compiling from x86-64 to
// another architecture (or back) therefore gets the wrong flags: build natively.
#if arch(x86_64)
let x86v4: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v4", "-Xcc", "-mprefer-vector-width=512"])]
let x86v3: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-march=x86-64-v3"])]
#else
let x86v4: [SwiftSetting] = []
let x86v3: [SwiftSetting] = []
#endif
/// `-Ounchecked` drops overflow/bounds traps in the release kernels.
let release: [SwiftSetting] = [.unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release))]
/// The portable variant on a CPU without FMA instructions calls libm's fmaf.
let libm: [LinkerSetting] = [.linkedLibrary("m", .when(platforms: [.linux]))]

let package = Package(
    name: "Heed",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "heed", targets: ["heed"]),
    ],
    targets: [
        .target(name: "HeedJSON"),
        .systemLibrary(name: "CHeedCPUID"),
        .systemLibrary(name: "CHeedPrefetch"),
        .target(name: "HeedKernelsBase", swiftSettings: release),
        .target(name: "HeedKernelsAVX512", dependencies: ["HeedKernelsBase", "CHeedPrefetch"], swiftSettings: x86v4 + release),
        .target(name: "HeedKernelsAVX2", dependencies: ["HeedKernelsBase", "CHeedPrefetch"], swiftSettings: x86v3 + release),
        .target(name: "HeedKernelsPortable", dependencies: ["HeedKernelsBase", "CHeedPrefetch"], swiftSettings: release, linkerSettings: libm),
        .target(name: "HeedKernels", dependencies: ["HeedKernelsBase", "HeedKernelsAVX512", "HeedKernelsAVX2", "HeedKernelsPortable", "CHeedCPUID"],
                swiftSettings: release),
        .target(name: "HeedCheckpoints", dependencies: ["HeedKernels", "HeedJSON"], swiftSettings: release),
        .target(name: "HeedTokenizers", dependencies: ["HeedJSON"]),
        .target(name: "HeedModels", dependencies: ["HeedKernels", "HeedCheckpoints", "HeedTokenizers"], swiftSettings: release),
        .target(name: "HeedAnalysis", dependencies: ["HeedModels"], swiftSettings: release),
        .target(name: "HeedJSONRPC", dependencies: ["HeedJSON"]),
        .target(name: "HeedDaemon", dependencies: ["HeedAnalysis", "HeedJSONRPC"], swiftSettings: release),
        .executableTarget(name: "heed", dependencies: ["HeedDaemon"], swiftSettings: release),

        .target(name: "HeedTestSupport", dependencies: ["HeedCheckpoints", "HeedAnalysis"], path: "Tests/HeedTestSupport"),
        .target(name: "HeedJSONTestSupport", dependencies: ["HeedAnalysis"], path: "Tests/HeedJSONTestSupport"),
        .testTarget(name: "HeedJSONTests", dependencies: ["HeedJSON", "HeedJSONTestSupport"]),
        .testTarget(name: "HeedKernelsTests", dependencies: ["HeedKernels", "HeedKernelsAVX512", "HeedKernelsAVX2", "HeedKernelsPortable", "HeedTestSupport"], swiftSettings: release),
        .testTarget(name: "HeedCheckpointsTests", dependencies: ["HeedCheckpoints"]),
        .testTarget(name: "HeedTokenizersTests", dependencies: ["HeedTokenizers"]),
        .testTarget(name: "HeedModelsTests", dependencies: ["HeedModels", "HeedTestSupport"], swiftSettings: release),
        .testTarget(name: "HeedAnalysisTests", dependencies: ["HeedAnalysis", "HeedTestSupport"], swiftSettings: release),
        .testTarget(name: "HeedJSONRPCTests", dependencies: ["HeedJSONRPC", "HeedJSONTestSupport"]),
        .testTarget(name: "HeedDaemonTests", dependencies: ["HeedDaemon", "HeedTestSupport"], swiftSettings: release),
        .testTarget(name: "HeedCLITests", dependencies: ["HeedDaemon", "HeedTestSupport"], swiftSettings: release),
        .testTarget(name: "HeedIntegrationTests", dependencies: ["HeedDaemon", "HeedTestSupport"], swiftSettings: release),
    ]
)
