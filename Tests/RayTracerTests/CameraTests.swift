import Foundation
import Testing
@testable import RayTracer
@testable import RenderKernel

@Suite("Camera conventions")
struct CameraTests {
    /// Looking along +x from the origin, 64 x 64, 50 degree vertical field of view.
    let camera = Camera(position: .zero, yaw: 0, pitch: 0, width: 64, height: 64)
    var focal: Float { 32 / tan(25 * Float.pi / 180) }

    @Test("world points project where the OpenCV convention says")
    func projection() throws {
        let centre = try #require(camera.project([10, 0, 0]))
        #expect(close(centre.x, 32) && close(centre.y, 32))
        // +x looking: world -y is image right, world +z is image up (smaller v).
        let right = try #require(camera.project([10, -1, 0]))
        #expect(close(right.x, 32 + focal / 10, tolerance: 1e-3) && close(right.y, 32))
        let up = try #require(camera.project([10, 0, 1]))
        #expect(close(up.x, 32) && close(up.y, 32 - focal / 10, tolerance: 1e-3))
        #expect(camera.project([-1, 0, 0]) == nil)
    }

    @Test("intrinsics and the camera-to-world matrix agree with projection")
    func matrix() throws {
        let camera = Camera(position: [1, 2, 1.5], lookingAt: [-0.5, 0.3, 0.2], width: 80, height: 60)
        let k = camera.intrinsics
        #expect(close(k.fy, 30 / tan(25 * Float.pi / 180), tolerance: 1e-3) && k.fx == k.fy)
        #expect(k.cx == 40 && k.cy == 30)
        let m = camera.cameraToWorld
        // A camera-frame point (X, Y, Z) maps to world through the matrix and back to (u, v).
        let local: Vector3 = [0.3, -0.2, 2]
        let world = Vector3(m[0] * local.x + m[1] * local.y + m[2] * local.z + m[3],
                            m[4] * local.x + m[5] * local.y + m[6] * local.z + m[7],
                            m[8] * local.x + m[9] * local.y + m[10] * local.z + m[11])
        let pixel = try #require(camera.project(world))
        #expect(close(pixel.x, k.fx * local.x / local.z + k.cx, tolerance: 1e-3))
        #expect(close(pixel.y, k.fy * local.y / local.z + k.cy, tolerance: 1e-3))
        #expect(Array(m[12...]) == [0, 0, 0, 1])
    }

    @Test("look-at gives the GQN yaw and pitch")
    func lookAt() {
        let camera = Camera(position: [0, 0, 1], lookingAt: [0, 2, 3], width: 8, height: 8)
        #expect(close(camera.yaw, .pi / 2))
        #expect(close(camera.pitch, .pi / 4))
        #expect(close(camera.forward, Vector3(0, 1, 1).normalized))
        #expect(close(camera.pose[3], .pi / 2))
        let v = camera.viewpointVector
        #expect(v.count == 7 && close(v[3], 0) && close(v[4], 1))
    }

    @Test("a small sphere renders at the pixel its centre projects to")
    func renderedPosition() throws {
        let camera = Camera(position: [-3, 1, 2], lookingAt: [0, 0, 0.5], width: 96, height: 72)
        let target: Vector3 = [0.4, -0.7, 0.9]
        let ball = Shape(kind: .sphere, position: target, size: [0.25, 0.25, 0.25], material: white, instanceID: 1)
        let scene = Scene(camera: camera, shapes: [ball], lights: [])
        let view = Renderer(scene: scene).render(settings: RenderSettings(samplesPerSide: 1, instanceMask: true))
        let mask = try #require(view.instanceMask)
        var sum = SIMD2<Float>.zero
        var count: Float = 0
        for y in 0..<view.height {
            for x in 0..<view.width where mask[y * view.width + x] == 1 {
                sum += SIMD2(Float(x) + 0.5, Float(y) + 0.5)
                count += 1
            }
        }
        #expect(count > 4)
        let expected = try #require(camera.project(target))
        let centroid = sum / count
        #expect(close(centroid.x, expected.x, tolerance: 0.5) && close(centroid.y, expected.y, tolerance: 0.5),
                "centroid \(centroid), projected \(expected)")
    }

    @Test("a sphere's silhouette covers its projected disc's area within 1 %")
    func silhouette() throws {
        let (distance, radius): (Float, Float) = (6, 1)
        let camera = Camera(position: [-distance, 0, 0], yaw: 0, pitch: 0, width: 256, height: 256)
        let sphere = Shape(kind: .sphere, position: .zero, size: [2 * radius, 2 * radius, 2 * radius], material: white,
                           instanceID: 1)
        let view = Renderer(scene: Scene(camera: camera, shapes: [sphere], lights: []))
            .render(settings: RenderSettings(samplesPerSide: 1, instanceMask: true))
        let covered = try #require(view.instanceMask).filter { $0 == 1 }.count
        // The tangent cone has half-angle asin(r / d); its image is a disc of radius f tan(that).
        let discRadius = camera.intrinsics.fy * radius / (distance * distance - radius * radius).squareRoot()
        let area = Float.pi * discRadius * discRadius
        #expect(abs(Float(covered) - area) / area < 0.01, "covered \(covered) px, expected \(area)")
    }
}

@Suite("Camera-ray culling")
struct FootprintTests {
    @Test("culling solids by their projected bounds changes no pixel of the mask")
    func culledEqualsBruteForce() throws {
        // Objects in front, beside and behind the camera, one straddling the image edge.
        let camera = Camera(position: [0, 0, 1], yaw: 0, pitch: 0, width: 40, height: 30)
        let material = Material(color: [1, 1, 1])
        let shapes = [
            Shape(kind: .box, position: [4, 1.9, 1], size: [1, 1, 1], material: material, instanceID: 1),
            Shape(kind: .icosahedron, position: [3, -0.5, 0.6], size: [0.8, 0.8, 0.8], material: material, instanceID: 2),
            Shape(kind: .sphere, position: [0.8, 0.3, 1.1], size: [0.5, 0.5, 0.5], material: material, instanceID: 3),
            Shape(kind: .cone, position: [-3, 0, 1], size: [1, 1, 1], material: material, instanceID: 4),
            .plane(point: .zero, normal: [0, 0, 1], material: material),
        ]
        let scene = Scene(camera: camera, shapes: shapes, lights: [])
        let view = Renderer(scene: scene).render(settings: RenderSettings(samplesPerSide: 1, instanceMask: true))
        let mask = try #require(view.instanceMask)
        let frame = PixelFrame(camera: camera)
        let expected: [UInt8] = CompiledScene(scene: scene).withTraceContext { context in
            (0..<(camera.width * camera.height)).map { pixel in
                let direction = frame.direction(u: Float(pixel % camera.width) + 0.5, v: Float(pixel / camera.width) + 0.5)
                return context.closestHit(origin: camera.position, direction: direction).map {
                    context.shapes[$0.shape].instanceID
                } ?? 0
            }
        }
        #expect(mask == expected)
        #expect(Set(mask).isSuperset(of: [1, 2, 3]), "the test sees the objects it means to")
    }

    @Test("every camera ray that meets a rectangle passes through its footprint; rectangles behind the camera have none")
    func flatFootprints() {
        var rng = PCG32(seed: 5, stream: 9)
        func uniform(_ range: ClosedRange<Float>) -> Float {
            range.lowerBound + rng.nextFloat() * (range.upperBound - range.lowerBound)
        }
        let material = Material(color: [1, 1, 1])
        // A room's floor and walls, seen from cameras inside it, near its walls and corners,
        // and outside it; plus tilted rectangles through and behind the camera.
        var (hits, outsideChecked, nowhere) = (0, 0, 0)
        for trial in 0..<60 {
            let position = Vector3(uniform(-3.4...3.4), uniform(-3.4...3.4), uniform(0.05...2.9)) * (trial % 10 == 0 ? 2 : 1)
            let camera = Camera(position: position, yaw: uniform(-.pi ... .pi), pitch: uniform(-1.2...1.2),
                                verticalFieldOfView: uniform(0.5...1.75), width: 24, height: 20)
            var shapes = Room(floor: material, walls: material).shapes
            shapes.append(.rectangle(center: position + Vector3(uniform(-1...1), uniform(-1...1), uniform(-1...1)),
                                     edgeU: [uniform(-2...2), uniform(-2...2), 0.3], edgeV: [0.1, uniform(-2...2), uniform(0.5...2)],
                                     material: material))
            let scene = Scene(camera: camera, shapes: shapes, lights: [])
            let frame = PixelFrame(camera: camera)
            let compiled = CompiledScene(scene: scene)
            for flat in compiled.flats {
                let footprint = frame.footprint(of: flat)
                if footprint.rows == PixelFrame.Footprint.nowhere.rows { nowhere += 1 }
                for row in -2..<(camera.height + 2) {
                    for column in -2..<(camera.width + 2) {
                        for _ in 0..<2 {
                            let direction = frame.direction(u: Float(column) + rng.nextFloat(), v: Float(row) + rng.nextFloat())
                            guard flat.intersect(origin: position, direction: direction, tMax: .infinity) != nil else { continue }
                            hits += 1
                            let inside = footprint.columns.contains(column) && footprint.rows.contains(row)
                            #expect(inside, "trial \(trial): pixel (\(column), \(row)) meets a flat outside its footprint \(footprint)")
                        }
                        if !(footprint.columns.contains(column) && footprint.rows.contains(row)) { outsideChecked += 1 }
                    }
                }
            }
        }
        #expect(hits > 10_000 && outsideChecked > 10_000 && nowhere > 10, "hits \(hits), culled \(outsideChecked), behind \(nowhere)")
    }
}
