// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "GQNKit",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "scenegen", targets: ["scenegen"]),
        .executable(name: "shardtool", targets: ["shardtool"]),
        .library(name: "RayTracer", targets: ["RayTracer"]),
        .library(name: "ImageCodec", targets: ["ImageCodec"]),
        .library(name: "SceneFamilies", targets: ["SceneFamilies"]),
        .library(name: "ShardFormat", targets: ["ShardFormat"]),
        .library(name: "DataLoader", targets: ["DataLoader"]),
        .library(name: "Tensors", targets: ["Tensors"]),
        .library(name: "GQN", targets: ["GQN"]),
        .library(name: "ShardTools", targets: ["ShardTools"]),
        .executable(name: "gqn-train", targets: ["gqn-train"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CPNG",
            pkgConfig: "libpng",
            providers: [.apt(["libpng-dev", "zlib1g-dev"])]
        ),
        .target(name: "CPNGEncoder", dependencies: ["CPNG"]),
        .target(name: "ImageCodec", dependencies: ["CPNG", "CPNGEncoder"]),
        .target(name: "RayTracer"),
        .target(name: "SceneFamilies", dependencies: ["RayTracer"]),
        .target(
            name: "ShardFormat",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "DataLoader", dependencies: ["ShardFormat", "ImageCodec"]),
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // oneDNN (Debian libdnnl-dev) ships no pkg-config file: the module map links
        // `dnnl` and GNU OpenMP (`gomp`, the runtime libdnnl uses) directly.
        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .target(name: "Tensors", dependencies: ["CBLAS", "CDNNL"]),
        .target(name: "GQN", dependencies: ["Tensors", "DataLoader", "ShardFormat"]),
        .executableTarget(
            name: "gqn-train",
            dependencies: [
                "Tensors", "GQN", "DataLoader", "ImageCodec", "ShardFormat",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "scenegen",
            dependencies: [
                "RayTracer", "SceneFamilies", "ImageCodec", "ShardFormat",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "ShardTools", dependencies: ["ShardFormat", "ImageCodec"]),
        .executableTarget(
            name: "shardtool",
            dependencies: [
                "ShardTools", "ShardFormat", "ImageCodec", "DataLoader",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "ImageCodecTests", dependencies: ["ImageCodec", "CPNG"]),
        .testTarget(name: "RayTracerTests", dependencies: ["RayTracer", "ImageCodec"]),
        .testTarget(name: "SceneFamiliesTests", dependencies: ["SceneFamilies", "RayTracer"]),
        .testTarget(name: "ShardFormatTests", dependencies: ["ShardFormat"]),
        .testTarget(name: "DataLoaderTests", dependencies: ["DataLoader", "ShardFormat", "ImageCodec"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"]),
        .testTarget(name: "GQNTests", dependencies: ["GQN", "Tensors", "DataLoader"]),
        .testTarget(
            name: "gqn-trainTests",
            dependencies: ["gqn-train", "scenegen", "GQN", "Tensors", "DataLoader", "ShardFormat", "ImageCodec"]
        ),
        .testTarget(name: "scenegenTests", dependencies: ["scenegen", "ShardFormat"]),
        .testTarget(name: "ShardToolsTests", dependencies: ["ShardTools", "ShardFormat", "ImageCodec"]),
    ],
    swiftLanguageModes: [.v6]
)
