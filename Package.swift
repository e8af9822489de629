// swift-tools-version:6.0
import PackageDescription

/// x86-64-v3 and x86-64-v4 code generation for `RenderKernelX86V3` and `RenderKernelX86V4`
/// (`haswell` and `skylake-avx512` are the compiler's names for those feature sets); other
/// architectures build those modules for their baseline, and they are never chosen.
///
/// All three builds compile the C library calls the standard library inlines (its
/// `squareRoot()` is the C shim `__builtin_sqrtf`) without `errno`: with it, every square
/// root of a negative number (a packet's inactive lanes compute them) leaves the inline
/// instruction for libm's error path, and no SIMD square root can become one vector
/// instruction. The results are the same IEEE square roots.
let renderKernel: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-fno-math-errno"])]
#if arch(x86_64)
let x86_64_v3: [SwiftSetting] = renderKernel + [.unsafeFlags(["-target-cpu", "haswell"])]
let x86_64_v4: [SwiftSetting] = renderKernel + [.unsafeFlags(["-target-cpu", "skylake-avx512"])]
#else
let x86_64_v3: [SwiftSetting] = renderKernel
let x86_64_v4: [SwiftSetting] = renderKernel
#endif

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
        .library(name: "Distributed", targets: ["Distributed"]),
        .library(name: "GQN", targets: ["GQN"]),
        .library(name: "ShardTools", targets: ["ShardTools"]),
        .executable(name: "gqn-train", targets: ["gqn-train"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // `swift package generate-documentation` (Tools/docs.sh); a plugin, not linked into any target.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CPNG",
            pkgConfig: "libpng",
            providers: [.apt(["libpng-dev", "zlib1g-dev"])]
        ),
        // libdeflate (Debian libdeflate-dev): whole-buffer deflate into a zlib stream, and CRC-32,
        // for the PNG encoder's standard effort and its chunk CRCs.
        .systemLibrary(
            name: "CDeflate",
            pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"])]
        ),
        // Intel's ISA-L (Debian libisal-dev): igzip, the fast effort's deflate (about 2.4x
        // libdeflate level 1's speed on 64 x 64 renders), and the shards' CRC-32C.
        .systemLibrary(
            name: "CISAL",
            pkgConfig: "libisal",
            providers: [.apt(["libisal-dev"])]
        ),
        .target(name: "CPNGEncoder", dependencies: ["CDeflate", "CISAL"]),
        // Starts a shard's writeback while it is still being written (Linux sync_file_range),
        // so that publishing it does not wait for the whole file at its fsync.
        .target(name: "CWriteBehind"),
        // libjpeg-turbo's TurboJPEG API (Debian libturbojpeg0-dev): errors as return codes,
        // not libjpeg's setjmp, so Swift calls it without a C shim.
        .systemLibrary(
            name: "CJPEG",
            pkgConfig: "libturbojpeg",
            providers: [.apt(["libturbojpeg0-dev"])]
        ),
        .target(name: "ImageCodec", dependencies: ["CPNG", "CPNGEncoder", "CJPEG"]),
        // The scene description: shapes, materials, lights, cameras, the scene JSON, PCG32.
        .target(name: "SceneModel"),
        // Asks the processor which instruction sets it runs (cpuid through the compiler).
        .target(name: "CPUFeatures"),
        // The tracing loops, built three times from one set of sources (RenderKernelX86V3 and
        // RenderKernelX86V4 hold symbolic links to RenderKernel's files): for the baseline, for x86-64-v3
        // (AVX2, FMA, BMI2) and for x86-64-v4 (AVX-512), each faster than the one before, with
        // byte-identical images. `Renderer` picks the best build the processor runs.
        .target(name: "RenderKernel", dependencies: ["SceneModel"], swiftSettings: renderKernel),
        .target(name: "RenderKernelX86V3", dependencies: ["SceneModel"], swiftSettings: x86_64_v3),
        .target(name: "RenderKernelX86V4", dependencies: ["SceneModel"], swiftSettings: x86_64_v4),
        .target(
            name: "RayTracer",
            dependencies: ["SceneModel", "CPUFeatures", "RenderKernel", "RenderKernelX86V3", "RenderKernelX86V4"]),
        .target(name: "SceneFamilies", dependencies: ["SceneModel"]),
        .target(
            name: "ShardFormat",
            dependencies: ["CISAL", "CWriteBehind", .product(name: "Crypto", package: "swift-crypto")]
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
        // Open MPI (Debian libopenmpi-dev); its handles are macros, so a C shim makes the calls.
        .systemLibrary(name: "CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),
        .target(name: "CMPIShim", dependencies: ["CMPI"]),
        .target(name: "Distributed", dependencies: ["CMPIShim"]),
        .target(name: "GQN", dependencies: ["Tensors", "DataLoader", "ShardFormat", "Distributed"]),
        .executableTarget(
            name: "gqn-train",
            dependencies: [
                "Tensors", "GQN", "DataLoader", "ImageCodec", "ShardFormat", "Distributed",
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
        .target(name: "ShardTools", dependencies: ["ShardFormat", "ImageCodec", "DataLoader"]),
        .executableTarget(
            name: "shardtool",
            dependencies: [
                "ShardTools", "ShardFormat", "ImageCodec", "DataLoader",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "ImageCodecTests", dependencies: ["ImageCodec", "CPNG"]),
        .testTarget(name: "RayTracerTests", dependencies: ["RayTracer", "RenderKernel", "ImageCodec"]),
        .testTarget(name: "SceneFamiliesTests", dependencies: ["SceneFamilies", "RayTracer"]),
        .testTarget(name: "ShardFormatTests", dependencies: ["ShardFormat"]),
        .testTarget(name: "DataLoaderTests", dependencies: ["DataLoader", "ShardFormat", "ImageCodec"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors"]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed"]),
        .testTarget(name: "GQNTests", dependencies: ["GQN", "Tensors", "DataLoader", "Distributed"]),
        .testTarget(
            name: "gqn-trainTests",
            dependencies: ["gqn-train", "scenegen", "GQN", "Tensors", "DataLoader", "ShardFormat", "ImageCodec"]
        ),
        .testTarget(name: "scenegenTests", dependencies: ["scenegen", "ShardFormat", "ImageCodec"]),
        .testTarget(name: "ShardToolsTests", dependencies: ["ShardTools", "ShardFormat", "ImageCodec", "DataLoader"]),
    ],
    swiftLanguageModes: [.v6]
)
