// swift-tools-version:6.0
// libFuzzer targets for GQNKit's parsers, built only by Tools/fuzz.sh (with -sanitize=fuzzer,address
// on every module, so the parsers themselves are instrumented), never by the main build.
//
// Every directory Sources/Fuzz<Name> is one fuzz target: an executable whose one file, main.swift,
// calls `FuzzSupport.run { input in ... }`. It may import any library of the main package (with
// @testable, for internal entry points) and FuzzSupport; its seed corpus is Corpus/Fuzz<Name>/.
// Adding a target is adding that one file (and its seeds).
import Foundation
import PackageDescription

let packageDirectory = URL(fileURLWithPath: Context.packageDirectory)
// A path dependency's identity is its directory's name, which depends on the checkout.
let mainPackage = packageDirectory.deletingLastPathComponent()
let mainIdentity = mainPackage.lastPathComponent
let libraries = ["ShardFormat", "ImageCodec", "RayTracer", "SceneFamilies", "DataLoader", "Tensors", "GQN", "ShardTools"]
let targetNames = ((try? FileManager.default.contentsOfDirectory(atPath: packageDirectory.appendingPathComponent("Sources").path)) ?? [])
    .filter { $0.hasPrefix("Fuzz") && $0 != "FuzzSupport" }
    .sorted()

let package = Package(
    name: "GQNKitFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(path: mainPackage.path)],
    targets: [
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "ShardFormat", package: mainIdentity)]
        )
    ] + targetNames.map { name in
        .executableTarget(
            name: name,
            dependencies: ["FuzzSupport"] + libraries.map { .product(name: $0, package: mainIdentity) }
        )
    },
    swiftLanguageModes: [.v6]
)
