import Foundation
import Testing
@testable import RayTracer
@testable import RenderKernel

@Suite("Lighting and shadows")
struct ShadingTests {
    /// A grey floor, a sphere of radius 0.5 centred 1 above it, a point light at height 3.
    let scene = Scene(
        camera: Camera(position: [3, 0, 1], lookingAt: [0, 0, 0.3], width: 64, height: 64),
        shapes: [
            .plane(point: .zero, normal: [0, 0, 1], material: Material(color: [0.5, 0.5, 0.5])),
            Shape(kind: .sphere, position: [0, 0, 1], size: [1, 1, 1], material: Material(color: [0.8, 0.2, 0.2]),
                  instanceID: 1),
        ],
        lights: [Light(kind: .point(position: [0, 0, 3]), intensity: 4)],
        ambient: [0.1, 0.1, 0.1])

    func radiance(from origin: Vector3, to point: Vector3) -> (Vector3, Int?) {
        var rng = PCG32(seed: 1, stream: 1)
        return CompiledScene(scene: scene).withTraceContext { context in
            let direction = (point - origin).normalized
            return (context.radiance(origin: origin, direction: direction, rng: &rng),
                    context.closestHit(origin: origin, direction: direction)?.shape)
        }
    }

    @Test("the sphere's top is lit by the light above it")
    func litTop() {
        let (top, shape) = radiance(from: [0, 0, 5], to: [0, 0, 1.5])
        #expect(shape == 1)
        // Irradiance 4 / 1.5^2 at normal incidence plus ambient, times albedo.
        let expected = Vector3(0.8, 0.2, 0.2) * (4 / 2.25 + 0.1)
        #expect(close(top, expected, tolerance: 1e-4))
    }

    @Test("the floor beneath the sphere is in shadow, the floor beyond it is lit")
    func shadowBeneath() {
        // The shadow's radius on the floor is 3 tan(asin(0.5 / 2)) = 0.775.
        let (shadowed, shadowedShape) = radiance(from: [2, 0.3, 0.2], to: [0.5, 0, 0])
        #expect(shadowedShape == 0)
        #expect(close(shadowed, Vector3(repeating: 0.05), tolerance: 1e-5), "only ambient: \(shadowed)")
        let (lit, litShape) = radiance(from: [3, 0.3, 0.2], to: [1.5, 0, 0])
        #expect(litShape == 0)
        let distanceSquared: Float = 1.5 * 1.5 + 9
        let cosine = 3 / distanceSquared.squareRoot()
        #expect(close(lit, Vector3(repeating: 0.5 * (0.1 + 4 * cosine / distanceSquared)), tolerance: 1e-4))
    }

    @Test("in a rendered image the shadowed floor is darker than the lit floor")
    func renderedShadow() throws {
        let view = Renderer(scene: scene).render(settings: RenderSettings(samplesPerSide: 2, instanceMask: true))
        let camera = scene.camera
        func pixel(_ point: Vector3) throws -> (Int, UInt8) {
            let p = try #require(camera.project(point))
            let index = Int(p.y) * view.width + Int(p.x)
            return (index, view.rgb[index * 3])
        }
        let (shadowIndex, shadow) = try pixel([0.55, 0.3, 0])
        let (litIndex, lit) = try pixel([1.6, 0.3, 0])
        let (topIndex, top) = try pixel([0, 0, 1.48])
        let mask = try #require(view.instanceMask)
        #expect(mask[shadowIndex] == 0 && mask[litIndex] == 0 && mask[topIndex] == 1)
        #expect(Int(lit) > Int(shadow) + 40, "lit floor \(lit), shadowed floor \(shadow)")
        #expect(top > 150, "the sphere's top is bright red: \(top)")
    }

    @Test("checker and stripe textures alternate at their scale", arguments: [
        // Points (x, y) on the floor, seen from straight above, and the colour each texture gives there.
        (Texture.checker(secondColor: [0, 0, 0], scale: 1), [Float(1), 0, 1, 0, 0, 0]),
        (Texture.stripes(secondColor: [0, 0, 0], scale: 1, alongY: false), [1, 0, 0, 0, 1, 1]),
        (Texture.stripes(secondColor: [0, 0, 0], scale: 1, alongY: true), [1, 1, 0, 1, 0, 0]),
        (Texture.stripes(secondColor: [0, 0, 0], scale: 2, alongY: false), [1, 1, 1, 0, 1, 1]),
    ])
    func textures(texture: Texture, expected: [Float]) {
        let material = Material(color: [1, 1, 1], texture: texture)
        let floor = Shape.rectangle(center: .zero, edgeU: [10, 0, 0], edgeV: [0, 10, 0], material: material)
        let scene = Scene(camera: Camera(position: [0, 0, 5], yaw: 0, pitch: -.pi / 2, width: 1, height: 1),
                          shapes: [floor], lights: [], ambient: [1, 1, 1])
        var rng = PCG32(seed: 0, stream: 0)
        let points: [(Float, Float)] = [(0.5, 0.5), (1.5, 0.5), (1.5, 1.5), (-0.5, 0.5), (0.5, 1.5), (0.5, -0.5)]
        let colors = CompiledScene(scene: scene).withTraceContext { context in
            points.map { context.radiance(origin: Vector3($0.0, $0.1, 5), direction: [0, 0, -1], rng: &rng).x }
        }
        #expect(colors == expected, "\(texture)")
    }
}
