import ArgumentParser
import RayTracer

/// Render settings shared by the subcommands that render.
struct RenderOptions: ParsableArguments {
    @Option(help: "Image width and height in pixels (overrides the scene file).")
    var size: Int?

    @Option(help: "Samples per pixel, a perfect square: 1, 4, 9, 16, ... (overrides the scene file).")
    var spp: Int?

    @Option(help: "Worker threads (default: all cores). Output bytes never depend on it.")
    var threads: Int = ProcessInfoCores.count

    @Option(help: "Seed of the per-pixel random streams (sample jitter, area-light samples).")
    var seed: UInt64 = 0

    func validate() throws {
        if let size, !(1...16_384).contains(size) {
            throw ValidationError("--size must be in 1...16384, found \(size)")
        }
        if let spp, RenderSettings.samplesPerSide(forSamplesPerPixel: spp) == nil {
            throw ValidationError("--spp must be a perfect square (1, 4, 9, 16, ...), found \(spp)")
        }
        if threads < 1 {
            throw ValidationError("--threads must be at least 1, found \(threads)")
        }
    }

    /// The document's scene and sample count with the command-line overrides applied.
    func apply(to document: SceneDocument) -> (scene: Scene, samplesPerSide: Int) {
        var scene = document.scene
        if let size {
            scene.camera.width = size
            scene.camera.height = size
        }
        let samples = spp ?? document.samplesPerPixel
        return (scene, RenderSettings.samplesPerSide(forSamplesPerPixel: samples) ?? 1)
    }
}

/// The number of cores the process may use.
enum ProcessInfoCores {
    static var count: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
