// swift-tools-version: 6.1

import PackageDescription

let package = Package(
    name: "Deeper",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "DeeperKernels", targets: ["DeeperKernels"]),
        .library(name: "DeeperData", targets: ["DeeperData"]),
        .library(name: "DeeperRedis", targets: ["DeeperRedis"]),
        .library(name: "DeeperWorker", targets: ["DeeperWorker"]),
        .library(name: "DeeperAPI", targets: ["DeeperAPI"]),
        .executable(name: "deeper", targets: ["deeper"]),
        .executable(name: "deeper-bench", targets: ["DeeperBench"]),
        .executable(name: "deeper-worker-bench", targets: ["WorkerBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // The HTTP API only (DeeperAPI and the `deeper` executable): kernels, worker and bench
        // build without them.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
    ],
    targets: [
        // MARK: - Kernels (pure Swift: no I/O, no Redis, no HTTP)

        .target(name: "DeeperKernels"),

        // Counts heap allocations in deeper-bench (glibc malloc interposer; inert elsewhere).
        .target(name: "CMallocCounter"),

        // MARK: - Data: CSV parsing, rules files, synthetic data, output formats

        .target(
            name: "DeeperData",
            dependencies: ["DeeperKernels", .product(name: "Yams", package: "Yams")]
        ),

        // MARK: - Redis

        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .target(name: "DeeperRedis", dependencies: ["CHiredis"]),

        // MARK: - Worker: the print tail, the job loop, feeds (depends on the kernels, never the reverse)

        .target(
            name: "DeeperWorker",
            dependencies: [
                "DeeperKernels", "DeeperData", "DeeperRedis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: - HTTP API: a thin adapter over Redis that never computes (depends on the worker's
        // key and message definitions, never the reverse)

        .target(
            name: "DeeperAPI",
            dependencies: [
                "DeeperKernels", "DeeperData", "DeeperRedis", "DeeperWorker",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: - Executables (thin)

        .executableTarget(
            name: "deeper",
            dependencies: [
                "DeeperKernels", "DeeperData", "DeeperRedis", "DeeperWorker", "DeeperAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "DeeperBench",
            dependencies: [
                "DeeperKernels", "DeeperData", "CMallocCounter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Measures a running worker through Redis (scripts/bench-worker).
        .executableTarget(
            name: "WorkerBench",
            dependencies: [
                "DeeperKernels", "DeeperData", "DeeperRedis", "DeeperWorker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: - Benchmarks (package-benchmark: `swift package benchmark`)

        .executableTarget(
            name: "KernelBenchmarks",
            dependencies: [
                "DeeperKernels", "DeeperData",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/KernelBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),

        // MARK: - Tests

        .testTarget(
            name: "DeeperKernelsTests",
            dependencies: [
                "DeeperKernels", "DeeperData",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "DeeperDataTests",
            dependencies: [
                "DeeperKernels", "DeeperData", "DeeperTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(name: "DeeperRedisTests", dependencies: ["DeeperRedis", "DeeperTestSupport"]),
        .testTarget(
            name: "DeeperWorkerTests",
            dependencies: ["DeeperWorker", "DeeperRedis", "DeeperKernels", "DeeperData", "DeeperTestSupport"]
        ),
        .testTarget(
            name: "DeeperAPITests",
            dependencies: [
                "DeeperAPI", "DeeperWorker", "DeeperRedis", "DeeperData", "DeeperKernels", "DeeperTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
            ]
        ),
        // Shared by the test targets: a private redis-server, the `deeper` binary as a child
        // process, JSON comparison within SPEC's tolerance.
        .target(name: "DeeperTestSupport", dependencies: ["DeeperRedis"], path: "Tests/DeeperTestSupport"),
    ]
)

// MARK: - Fuzz targets (libFuzzer), declared only with DEEPER_FUZZ=1: `scripts/fuzz` builds them
// with `-sanitize=fuzzer,address -parse-as-library` into `.build-fuzz`; a normal build never sees them.

if Context.environment["DEEPER_FUZZ"] == "1" {
    // The job decoder lives in DeeperQueue where that module exists, else in DeeperWorker.
    let jobDecoder: Target.Dependency = package.targets.contains { $0.name == "DeeperQueue" } ? "DeeperQueue" : "DeeperWorker"
    package.targets += [
        .executableTarget(name: "FuzzPrintsCSV", dependencies: ["DeeperData", "DeeperKernels"], path: "Fuzz/PrintsCSV"),
        .executableTarget(name: "FuzzJobRequest", dependencies: [jobDecoder, "DeeperData"], path: "Fuzz/JobRequest"),
    ]
}
