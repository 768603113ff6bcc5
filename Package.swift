// swift-tools-version: 6.1

import PackageDescription

/// package-benchmark only when asked (`DEEPER_BENCHMARKS=1 swift package benchmark`;
/// `scripts/bench-smoke` sets it): its build-tool plugin compiles a tool, with its own
/// ArgumentParser and swift-system, before every build of anything in the package.
let withBenchmarks = Context.environment["DEEPER_BENCHMARKS"] == "1"

let package = Package(
    name: "Deeper",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "DeeperKernels", targets: ["DeeperKernels"]),
        .library(name: "DeeperData", targets: ["DeeperData"]),
        .library(name: "DeeperRedis", targets: ["DeeperRedis"]),
        .library(name: "DeeperQueue", targets: ["DeeperQueue"]),
        .library(name: "DeeperWorker", targets: ["DeeperWorker"]),
        .library(name: "DeeperAPI", targets: ["DeeperAPI"]),
        .executable(name: "deeper", targets: ["deeper"]),
        .executable(name: "deeper-api", targets: ["DeeperAPICommand"]),
        .executable(name: "deeper-bench", targets: ["DeeperBench"]),
        .executable(name: "deeper-worker-bench", targets: ["WorkerBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // The HTTP API only (DeeperAPI and the `deeper-api` executable): kernels, worker, `deeper`
        // and the benches build without them.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        // `swift package generate-documentation` (scripts/docs): DocC for the kernels and the
        // Redis contract. A plugin only: nothing of it is linked into any product.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
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

        // MARK: - The Redis contract: keys, job and status messages, the queue, the feed (docs/REDIS.md).
        // The worker and the API both stand on it, neither on the other.

        .target(name: "DeeperQueue", dependencies: ["DeeperKernels", "DeeperData", "DeeperRedis"]),

        // MARK: - Worker: the print tail, the job loop (depends on the kernels, never the reverse)

        .target(
            name: "DeeperWorker",
            dependencies: [
                "DeeperKernels", "DeeperData", "DeeperRedis", "DeeperQueue",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // MARK: - HTTP API: a thin adapter over Redis that never computes (depends on the contract,
        // never on the worker)

        .target(
            name: "DeeperAPI",
            dependencies: [
                "DeeperKernels", "DeeperData", "DeeperRedis", "DeeperQueue",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The page and the OpenAPI document, compiled into the binary as bytes
            // (`PackageResources.index_html`, `PackageResources.openapi_yaml`). The document is a
            // link to the repository's `openapi.yaml`, so there is one file to edit.
            resources: [.embedInCode("Resources/index.html"), .embedInCode("Resources/openapi.yaml")]
        ),

        // MARK: - Executables (thin)

        // What both command-line tools share: Redis flags, exit statuses, stderr.
        .target(
            name: "DeeperCLI",
            dependencies: ["DeeperRedis", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Files, workers, feeds: no HTTP stack, so it builds in about a minute. `deeper serve` runs
        // `deeper-api` from beside it.
        .executableTarget(
            name: "deeper",
            dependencies: [
                "DeeperKernels", "DeeperData", "DeeperRedis", "DeeperQueue", "DeeperWorker", "DeeperCLI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The HTTP API server (`deeper-api`, or `deeper serve`).
        .executableTarget(
            name: "DeeperAPICommand",
            dependencies: [
                "DeeperAPI", "DeeperData", "DeeperCLI",
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
                "DeeperKernels", "DeeperData", "DeeperRedis", "DeeperQueue",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
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
            name: "DeeperQueueTests",
            dependencies: ["DeeperQueue", "DeeperKernels", "DeeperData", "DeeperRedis", "DeeperTestSupport"]
        ),
        .testTarget(
            name: "DeeperWorkerTests",
            dependencies: [
                "DeeperWorker", "DeeperQueue", "DeeperRedis", "DeeperKernels", "DeeperData", "DeeperTestSupport",
            ]
        ),
        .testTarget(
            name: "DeeperAPITests",
            dependencies: [
                "DeeperAPI", "DeeperQueue", "DeeperRedis", "DeeperData", "DeeperKernels", "DeeperTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                // The DevTools client that drives headless Chromium (LivePageTests).
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        // Shared by the test targets: a private redis-server, the `deeper` binary as a child
        // process, JSON comparison within the tolerance of docs/SPEC.md §10.2.
        .target(name: "DeeperTestSupport", dependencies: ["DeeperRedis"], path: "Tests/DeeperTestSupport"),
    ]
)

if withBenchmarks {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]))
    package.targets.append(
        // The package-benchmark suite (`DEEPER_BENCHMARKS=1 swift package benchmark`).
        .executableTarget(
            name: "KernelBenchmarks",
            dependencies: [
                "DeeperKernels", "DeeperData",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/KernelBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ))
}

// MARK: - Fuzz targets (libFuzzer), declared only with DEEPER_FUZZ=1: `scripts/fuzz` builds them
// with `-sanitize=fuzzer,address -parse-as-library` into `.build-fuzz`; a normal build never sees them.

if Context.environment["DEEPER_FUZZ"] == "1" {
    package.targets += [
        .target(name: "FuzzDriver", path: "Fuzz/Driver"),
        .executableTarget(name: "FuzzPrintsCSV", dependencies: ["DeeperData", "DeeperKernels", "FuzzDriver"], path: "Fuzz/PrintsCSV"),
        .executableTarget(name: "FuzzJobRequest", dependencies: ["DeeperQueue", "DeeperData", "FuzzDriver"], path: "Fuzz/JobRequest"),
    ]
}
