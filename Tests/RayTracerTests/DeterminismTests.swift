import Foundation
import Testing
@testable import RayTracer
@testable import RenderKernel

@Suite("Determinism")
struct DeterminismTests {
    /// A scene whose pixels consume random numbers: jitter and an area light.
    func scene() -> Scene {
        let room = Room(floor: Material(color: [0.8, 0.8, 0.8], texture: .checker(secondColor: [0.2, 0.2, 0.2], scale: 0.5)),
                        walls: Material(color: [0.6, 0.3, 0.2]))
        let objects = [
            Shape(kind: .cone, position: [0.5, 0.5, 0.5], size: [1, 1, 1], material: Material(color: [0.1, 0.8, 0.2]),
                  instanceID: 1),
            Shape(kind: .capsule, position: [-0.8, 0, 0.6], size: [0.6, 0.6, 1.2], orientation: Orientation(yaw: 0.3, pitch: 0.4),
                  material: Material(color: [0.9, 0.9, 0.1], specular: 0.5), instanceID: 2),
        ]
        return Scene(camera: Camera(position: [3, -2, 1.5], lookingAt: [0, 0, 0.5], width: 48, height: 40),
                     shapes: room.shapes + objects,
                     lights: [Light(kind: .area(center: [0, 0, 2.9], edgeU: [1, 0, 0], edgeV: [0, 1, 0]), intensity: 5)])
    }

    @Test("1, 2 and 3 threads give byte-identical images, depth maps and masks")
    func threadCounts() {
        let renderer = Renderer(scene: scene())
        let views = [1, 2, 3].map { threads in
            renderer.render(settings: RenderSettings(samplesPerSide: 2, threads: threads, seed: 7, depth: true,
                                                     instanceMask: true))
        }
        #expect(views[0] == views[1])
        #expect(views[0] == views[2])
        #expect(views[0].instanceMask?.contains(2) == true)
    }

    @Test("the seed changes the noise, and only the noise")
    func seeds() {
        let renderer = Renderer(scene: scene())
        let a = renderer.render(settings: RenderSettings(samplesPerSide: 2, seed: 1))
        let b = renderer.render(settings: RenderSettings(samplesPerSide: 2, seed: 2))
        #expect(a != b)
        let difference = zip(a.rgb, b.rgb).map { abs(Int($0) - Int($1)) }
        #expect(Double(difference.reduce(0, +)) / Double(difference.count) < 8)
    }

    @Test("PCG32 matches the reference implementation's first outputs")
    func pcgReference() {
        // pcg32_srandom_r(&rng, 42, 54) then pcg32_random_r, from the PCG reference demo.
        var rng = PCG32(seed: 42, stream: 54)
        let outputs = (0..<6).map { _ in rng.next() }
        #expect(outputs == [0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e])
    }

    @Test("the sRGB table follows the exact transfer function")
    func srgb() {
        #expect(SRGBEncoder.table[0] == 0)
        #expect(SRGBEncoder.table[SRGBEncoder.tableSize - 1] == 255)
        // Linear 0.5 is sRGB 0.7354 -> 188; linear 0.0031308 sits at the junction, 0.0404 -> 10.
        #expect(SRGBEncoder.table[Int((0.5 * 65535).rounded())] == 188)
        #expect(SRGBEncoder.encode(0.0031308) == 10)
    }
}
