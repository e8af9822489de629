import Foundation
import Testing
@testable import RayTracer

/// The builds of the tracing loops (baseline, x86-64-v3, x86-64-v4) must give the same bytes,
/// and the renderer must pick the fastest one the processor runs.
@Suite("Instruction sets")
struct InstructionSetTests {
    /// The flags Linux reports for the first processor, from /proc/cpuinfo.
    private static func cpuFlags() throws -> Set<Substring> {
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("flags") })
        return Set(line.split(separator: ":", maxSplits: 1)[1].split(separator: " "))
    }

    @Test("best is x86-64-v3 exactly when /proc/cpuinfo lists its features")
    func detection() throws {
        #if os(Linux) && arch(x86_64)
        let flags = try Self.cpuFlags()
        let v3 = ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "abm", "movbe"].allSatisfy { flags.contains(Substring($0)) }
        let v4 = v3 && ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy { flags.contains(Substring($0)) }
        #expect(Renderer.InstructionSet.best == (v4 ? .x86_64_v4 : v3 ? .x86_64_v3 : .baseline))
        #else
        #expect(Renderer.InstructionSet.best == .baseline)
        #endif
        let scene = try SceneDocument.load(contentsOf: SceneDocumentTests.examples.appendingPathComponent("bench_room.json")).scene
        #expect(Renderer(scene: scene).instructionSet == .best)
    }

    @Test("every supported build renders byte-identical images, depth maps and masks")
    func buildsAgree() throws {
        // Every shape kind, textures, specular highlights, point, directional and area lights.
        let scenes = try ["bench_room", "shapes_room", "lighting_showcase"].map {
            try SceneDocument.load(contentsOf: SceneDocumentTests.examples.appendingPathComponent("\($0).json")).scene
        }
        let settings = RenderSettings(samplesPerSide: 2, threads: 2, seed: 7, depth: true, instanceMask: true)
        var compared = 0
        for scene in scenes {
            var camera = scene.camera
            (camera.width, camera.height) = (48, 40)
            let reference = Renderer(scene: scene, instructionSet: .baseline).render(camera: camera, settings: settings)
            #expect(reference.rgb.contains { $0 != reference.rgb[0] }, "a flat image would hide differences")
            for set in Renderer.InstructionSet.allCases where set != .baseline && set.isSupported {
                let view = Renderer(scene: scene, instructionSet: set).render(camera: camera, settings: settings)
                #expect(view == reference, "\(set.rawValue) differs from the baseline build")
                compared += 1
            }
        }
        let supported = Renderer.InstructionSet.allCases.filter(\.isSupported).count
        #expect(compared == scenes.count * (supported - 1))
        #if os(Linux) && arch(x86_64)
        // This project's machines run all three; elsewhere the comparison covers what the processor runs.
        #expect(Renderer.InstructionSet.x86_64_v3.isSupported == ((try? Self.cpuFlags())?.contains("avx2") ?? false))
        #endif
    }
}
